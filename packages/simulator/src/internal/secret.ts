/** A Standard Webhooks secret: base64 (of at least one byte), usually after `whsec_`. No imports: the bin checks it before loading Effect. */
export const isSecret = (secret: string): boolean =>
  /^(whsec_)?(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(secret) &&
  secret.replace(/^whsec_/, "").length > 0
