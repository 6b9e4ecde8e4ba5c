/**
 * The catalog the simulator serves: categories, types, brands, models, services, sides, side groups and
 * QC rejection reasons. Published UUIDs and names are kept where the docs give them; the rest is
 * invented to make the catalog coherent (every type has sides, every side belongs to a group).
 *
 * @since 0.1.0
 */

/**
 * @since 0.1.0
 */
export type Language = "en" | "zh" | "ja"

/**
 * @since 0.1.0
 */
export const languages: ReadonlyArray<Language> = ["en", "zh", "ja"]

/**
 * A text in every supported language.
 *
 * @since 0.1.0
 */
export interface Localized {
  readonly en: string
  readonly zh: string
  readonly ja: string
}

const l = (en: string, zh: string, ja: string): Localized => ({ en, zh, ja })

/**
 * @since 0.1.0
 */
export interface Category {
  readonly uuid: string
  readonly name: Localized
  readonly sides: ReadonlyArray<string>
  readonly feature: boolean
  readonly ordinal: number
  readonly active: boolean
  readonly createdAt: string
  readonly updatedAt: string
}

/**
 * @since 0.1.0
 */
export interface Type {
  readonly uuid: string
  readonly category: string
  readonly name: Localized
  readonly sides: ReadonlyArray<string>
  readonly brands: ReadonlyArray<string>
  readonly feature: boolean
  readonly ordinal: number
  readonly active: boolean
  readonly createdAt: string
  readonly updatedAt: string
}

/**
 * @since 0.1.0
 */
export interface Brand {
  readonly uuid: string
  readonly name: string
  readonly slug: string
  readonly active: boolean
}

/**
 * @since 0.1.0
 */
export interface Model {
  readonly uuid: string
  readonly name: string
  readonly brand: string
  readonly type: string
}

/**
 * @since 0.1.0
 */
export interface Service {
  readonly uuid: string
  readonly name: Localized
  readonly description: Localized
  readonly categories: ReadonlyArray<string>
  readonly turnaroundHours: number
  readonly active: boolean
}

/**
 * @since 0.1.0
 */
export interface SideGroup {
  readonly uuid: string
  readonly name: Localized
  readonly description: Localized
  readonly lock: boolean
}

/**
 * @since 0.1.0
 */
export interface Side {
  readonly uuid: string
  readonly name: Localized
  readonly description: Localized
  readonly ordinal: number
  readonly required: boolean
  readonly group: string
  /** Thumbnail of the angle. */
  readonly image: string | null
  /** Whether the capture guide overlays `image` (only on the main angles). */
  readonly overlay: boolean
  readonly active: boolean
}

/**
 * @since 0.1.0
 */
export interface Reason {
  readonly uuid: string
  readonly code: string
  readonly name: Localized
  readonly message: Localized
  readonly active: boolean
}

const created = "2024-05-26T18:07:34.000Z"
const updated = "2025-11-26T15:45:05.000Z"

// Ids used by several tables.
const FOOTWEAR = "25ed7133-f230-4d64-850d-0cfc698e2931"
const BAG = "cc30b104-7c47-11ef-a623-02595575faeb"
const ACCESSORIES = "9e4045d9-50ee-11f0-9948-06fb0f2a63e5"
const WATCHES = "5b7f3c2a-1d4e-4f60-9a8b-7c6d5e4f3a21"
const SNEAKERS = "95e428c2-7c4f-11ef-a623-02595575faeb"
const BOOTS = "95e42a1e-7c4f-11ef-a623-02595575faeb"
const CROSSBODY = "95e42d6b-7c4f-11ef-a623-02595575faeb"
const TOTE = "95e42f10-7c4f-11ef-a623-02595575faeb"
const CLUTCH = "95e430a4-7c4f-11ef-a623-02595575faeb"
const BROOCH = "a988f0f5-7fec-4f50-8335-3e0a9c36e1e2"
const NIKE = "a46f1e52-7f44-11ef-9ad3-0288afec8b95"
const JORDAN = "a46f2b3c-7f44-11ef-9ad3-0288afec8b95"
const ADIDAS = "a46f3d81-7f44-11ef-9ad3-0288afec8b95"
const YEEZY = "a46f4c07-7f44-11ef-9ad3-0288afec8b95"
const CHANEL = "a472b4d9-7f44-11ef-9ad3-0288afec8b95"
const LOUIS_VUITTON = "a472c6e8-7f44-11ef-9ad3-0288afec8b95"
const GUCCI = "a472d1f3-7f44-11ef-9ad3-0288afec8b95"
const GROUP_OVERVIEW = "17062000-af27-4d47-b712-6d27b2556f96"
const GROUP_DETAILS = "2b1f6c3e-5a8d-4e7b-9c21-7d4e8f9a0b13"
const GROUP_EXTERIOR = "d441d889-53c5-11f0-9948-06fb0f2a63e5"
const GROUP_INTERIOR = "e8a1c2d3-53c5-11f0-9948-06fb0f2a63e5"

/**
 * Service picked when a create request names none: the first active service covering the category.
 *
 * @since 0.1.0
 */
export const LUXURY_SERVICE = "31670fe9-9272-11ef-b98d-06fb0f2a63e5"

/**
 * @since 0.1.0
 */
export const categories: ReadonlyArray<Category> = [
  {
    uuid: FOOTWEAR,
    name: l("Footwear", "鞋类", "フットウェア"),
    sides: [
      "f47ac10b-58cc-4372-a567-0e02b2c3d479",
      "bf98166d-7119-47f0-a4c5-88d67a28e3e6",
      "33ce80ed-d22a-4ef6-b99c-09c06a3d2ee4"
    ],
    feature: true,
    ordinal: 1,
    active: true,
    createdAt: created,
    updatedAt: updated
  },
  {
    uuid: BAG,
    name: l("Bag", "包袋", "バッグ"),
    sides: ["3c14c21f-8134-11ef-9e85-02d0d7ecc26b", "3c14e254-8134-11ef-9e85-02d0d7ecc26b"],
    feature: true,
    ordinal: 2,
    active: true,
    createdAt: "2024-09-26T20:42:08.000Z",
    updatedAt: "2025-11-26T16:21:04.000Z"
  },
  {
    uuid: ACCESSORIES,
    name: l("Accessories", "配饰", "アクセサリー"),
    sides: ["d5768e36-8197-11ef-be55-028adb369789", "d5769a11-8197-11ef-be55-028adb369789"],
    feature: false,
    ordinal: 3,
    active: true,
    createdAt: "2025-06-25T09:12:00.000Z",
    updatedAt: "2025-12-04T01:02:42.000Z"
  },
  {
    uuid: WATCHES,
    name: l("Watches", "手表", "時計"),
    sides: [],
    feature: false,
    ordinal: 4,
    active: false,
    createdAt: "2025-08-01T00:00:00.000Z",
    updatedAt: "2025-08-01T00:00:00.000Z"
  }
]

/**
 * @since 0.1.0
 */
export const types: ReadonlyArray<Type> = [
  {
    uuid: SNEAKERS,
    category: FOOTWEAR,
    name: l("Sneakers", "运动鞋", "スニーカー"),
    sides: [
      "ec883c70-f896-47c9-81b6-8d6ff0b5856a",
      "4a10bea5-a89c-4489-bba0-e55d8950b8dd",
      "e35a64e1-2629-4c4a-8e9c-9e9840db725e"
    ],
    brands: [NIKE, JORDAN, ADIDAS, YEEZY],
    feature: true,
    ordinal: 1,
    active: true,
    createdAt: "2024-09-26T20:45:00.000Z",
    updatedAt: updated
  },
  {
    uuid: BOOTS,
    category: FOOTWEAR,
    name: l("Boots", "靴子", "ブーツ"),
    sides: [
      "ec883c70-f896-47c9-81b6-8d6ff0b5856a",
      "6f3e2d1c-0b9a-4887-a665-5443f2e1d0c9",
      "e35a64e1-2629-4c4a-8e9c-9e9840db725e"
    ],
    brands: [NIKE, GUCCI],
    feature: false,
    ordinal: 2,
    active: true,
    createdAt: "2024-09-26T20:45:00.000Z",
    updatedAt: updated
  },
  {
    uuid: CROSSBODY,
    category: BAG,
    name: l("Crossbody", "斜挎包", "クロスボディ"),
    sides: [
      "7a8b9c0d-8134-11ef-9e85-02d0d7ecc26b",
      "7a8bb2e4-8134-11ef-9e85-02d0d7ecc26b",
      "7a8bc5f7-8134-11ef-9e85-02d0d7ecc26b"
    ],
    brands: [CHANEL, LOUIS_VUITTON, GUCCI],
    feature: true,
    ordinal: 1,
    active: true,
    createdAt: "2024-09-26T20:46:00.000Z",
    updatedAt: "2025-11-26T16:21:04.000Z"
  },
  {
    uuid: TOTE,
    category: BAG,
    name: l("Tote", "托特包", "トートバッグ"),
    sides: ["7a8b9c0d-8134-11ef-9e85-02d0d7ecc26b", "7a8bb2e4-8134-11ef-9e85-02d0d7ecc26b"],
    brands: [CHANEL, LOUIS_VUITTON, GUCCI],
    feature: false,
    ordinal: 2,
    active: true,
    createdAt: "2024-09-26T20:46:00.000Z",
    updatedAt: "2025-11-26T16:21:04.000Z"
  },
  {
    uuid: CLUTCH,
    category: BAG,
    name: l("Clutch", "手拿包", "クラッチバッグ"),
    sides: ["7a8b9c0d-8134-11ef-9e85-02d0d7ecc26b"],
    brands: [CHANEL],
    feature: false,
    ordinal: 3,
    active: false,
    createdAt: "2024-09-26T20:46:00.000Z",
    updatedAt: "2025-11-26T16:21:04.000Z"
  },
  {
    uuid: BROOCH,
    category: ACCESSORIES,
    name: l("Brooch", "胸针", "ブローチ"),
    sides: [],
    brands: [CHANEL],
    feature: false,
    ordinal: 1,
    active: true,
    createdAt: "2025-07-16T13:14:44.000Z",
    updatedAt: "2025-12-04T01:02:42.000Z"
  }
]

/**
 * @since 0.1.0
 */
export const brands: ReadonlyArray<Brand> = [
  { uuid: NIKE, name: "Nike", slug: "nike", active: true },
  { uuid: JORDAN, name: "Air Jordan", slug: "air-jordan", active: true },
  { uuid: ADIDAS, name: "Adidas", slug: "adidas", active: true },
  { uuid: YEEZY, name: "Yeezy", slug: "yeezy", active: false },
  { uuid: CHANEL, name: "Chanel", slug: "chanel", active: true },
  { uuid: LOUIS_VUITTON, name: "Louis Vuitton", slug: "louis-vuitton", active: true },
  { uuid: GUCCI, name: "Gucci", slug: "gucci", active: true }
]

/**
 * @since 0.1.0
 */
export const models: ReadonlyArray<Model> = [
  { uuid: "c1a0e7b2-3f4d-4a5b-8c6d-0e1f2a3b4c01", name: "Air Force 1 '07", brand: NIKE, type: SNEAKERS },
  { uuid: "c1a0e7b2-3f4d-4a5b-8c6d-0e1f2a3b4c02", name: "Dunk Low", brand: NIKE, type: SNEAKERS },
  { uuid: "c1a0e7b2-3f4d-4a5b-8c6d-0e1f2a3b4c03", name: "Air Jordan 1 Retro High OG", brand: JORDAN, type: SNEAKERS },
  { uuid: "c1a0e7b2-3f4d-4a5b-8c6d-0e1f2a3b4c04", name: "Air Jordan 4 Retro", brand: JORDAN, type: SNEAKERS },
  { uuid: "c1a0e7b2-3f4d-4a5b-8c6d-0e1f2a3b4c05", name: "Samba OG", brand: ADIDAS, type: SNEAKERS },
  { uuid: "c1a0e7b2-3f4d-4a5b-8c6d-0e1f2a3b4c06", name: "Classic Flap Bag", brand: CHANEL, type: CROSSBODY },
  { uuid: "c1a0e7b2-3f4d-4a5b-8c6d-0e1f2a3b4c07", name: "Boy Bag", brand: CHANEL, type: CROSSBODY },
  { uuid: "c1a0e7b2-3f4d-4a5b-8c6d-0e1f2a3b4c08", name: "Pochette Métis", brand: LOUIS_VUITTON, type: CROSSBODY },
  { uuid: "c1a0e7b2-3f4d-4a5b-8c6d-0e1f2a3b4c09", name: "Neverfull MM", brand: LOUIS_VUITTON, type: TOTE },
  { uuid: "c1a0e7b2-3f4d-4a5b-8c6d-0e1f2a3b4c10", name: "GG Marmont Shoulder Bag", brand: GUCCI, type: CROSSBODY },
  { uuid: "c1a0e7b2-3f4d-4a5b-8c6d-0e1f2a3b4c11", name: "CC Brooch", brand: CHANEL, type: BROOCH }
]

/**
 * @since 0.1.0
 */
export const services: ReadonlyArray<Service> = [
  {
    uuid: LUXURY_SERVICE,
    name: l("Luxury Authentication", "奢侈品鉴定", "ラグジュアリー鑑定"),
    description: l(
      "Authentication of luxury bags and accessories",
      "奢侈品包袋与配饰鉴定",
      "ラグジュアリーバッグとアクセサリーの鑑定"
    ),
    categories: [BAG, ACCESSORIES],
    turnaroundHours: 24,
    active: true
  },
  {
    uuid: "3167113c-9272-11ef-b98d-06fb0f2a63e5",
    name: l("Sneaker Authentication", "球鞋鉴定", "スニーカー鑑定"),
    description: l("Authentication of sneakers and footwear", "运动鞋及鞋履鉴定", "スニーカーと靴の鑑定"),
    categories: [FOOTWEAR],
    turnaroundHours: 12,
    active: true
  }
]

/**
 * @since 0.1.0
 */
export const sideGroups: ReadonlyArray<SideGroup> = [
  {
    uuid: GROUP_OVERVIEW,
    name: l("Overview", "概览", "概要"),
    description: l("Labels and overall views of the item", "标签与整体外观", "ラベルと全体像"),
    lock: false
  },
  {
    uuid: GROUP_DETAILS,
    name: l("Details", "细节", "詳細"),
    description: l("Close-ups of construction details", "做工细节特写", "作りの細部のクローズアップ"),
    lock: false
  },
  {
    uuid: GROUP_EXTERIOR,
    name: l("Exterior", "外部", "外観"),
    description: l("The outside of the item", "物品外部", "アイテムの外側"),
    lock: false
  },
  {
    uuid: GROUP_INTERIOR,
    name: l("Interior & Hardware", "内部与五金", "内側と金具"),
    description: l("Inside labels, stamps and hardware", "内部标签、印记与五金", "内側のラベル、刻印、金具"),
    lock: false
  }
]

const sideImage = (path: string) => `https://media.legitmark.com/static/sides/${path}.png`

/**
 * @since 0.1.0
 */
export const sides: ReadonlyArray<Side> = [
  {
    uuid: "ec883c70-f896-47c9-81b6-8d6ff0b5856a",
    name: l("Interior Size Tag or Stamp", "内侧尺码标或印记", "内側のサイズタグまたは刻印"),
    description: l(
      "A photo of the size tag within the sneaker",
      "鞋内尺码标的照片",
      "スニーカー内側のサイズタグの写真"
    ),
    ordinal: 1,
    required: true,
    group: GROUP_OVERVIEW,
    image: sideImage("footwear/interior-size-tag-or-stamp"),
    overlay: true,
    active: true
  },
  {
    uuid: "4a10bea5-a89c-4489-bba0-e55d8950b8dd",
    name: l("Outer Sides", "外侧", "外側"),
    description: l(
      "A photo captured from above of both outer sides",
      "从上方拍摄的两只鞋外侧照片",
      "両方の外側を上から撮影した写真"
    ),
    ordinal: 2,
    required: true,
    group: GROUP_OVERVIEW,
    image: sideImage("sneakers-base/outer-sides"),
    overlay: true,
    active: true
  },
  {
    uuid: "6f3e2d1c-0b9a-4887-a665-5443f2e1d0c9",
    name: l("Shaft and Heel", "靴筒与鞋跟", "シャフトとヒール"),
    description: l(
      "Both boots from the side, shaft and heel visible",
      "侧面拍摄靴筒与鞋跟",
      "シャフトとヒールが見える側面写真"
    ),
    ordinal: 3,
    required: true,
    group: GROUP_OVERVIEW,
    image: sideImage("footwear/shaft-and-heel"),
    overlay: true,
    active: true
  },
  {
    uuid: "e35a64e1-2629-4c4a-8e9c-9e9840db725e",
    name: l("Box Label", "鞋盒标签", "箱のラベル"),
    description: l(
      "Take a straight, clear photo of the label or branding on the box",
      "正面清晰拍摄鞋盒上的标签或品牌标识",
      "箱のラベルやブランドロゴを正面からはっきり撮影してください"
    ),
    ordinal: 10,
    required: false,
    group: GROUP_OVERVIEW,
    image: sideImage("footwear/box-label"),
    overlay: false,
    active: true
  },
  {
    uuid: "f47ac10b-58cc-4372-a567-0e02b2c3d479",
    name: l("Inner Sides", "内侧", "内側"),
    description: l("Both inner sides, side by side", "两只鞋内侧并排拍摄", "両方の内側を並べて撮影"),
    ordinal: 3,
    required: false,
    group: GROUP_DETAILS,
    image: sideImage("sneakers-base/inner-sides"),
    overlay: false,
    active: true
  },
  {
    uuid: "bf98166d-7119-47f0-a4c5-88d67a28e3e6",
    name: l("Soles", "鞋底", "ソール"),
    description: l("Both outsoles, flat and in focus", "两只鞋底平放清晰拍摄", "両方のアウトソールを平らに撮影"),
    ordinal: 4,
    required: false,
    group: GROUP_DETAILS,
    image: sideImage("sneakers-base/soles"),
    overlay: false,
    active: true
  },
  {
    uuid: "33ce80ed-d22a-4ef6-b99c-09c06a3d2ee4",
    name: l("Insoles", "鞋垫", "インソール"),
    description: l("The insoles with any printing visible", "鞋垫及其印刷清晰可见", "印字が見えるインソール"),
    ordinal: 5,
    required: false,
    group: GROUP_DETAILS,
    image: sideImage("sneakers-base/insoles"),
    overlay: false,
    active: true
  },
  {
    uuid: "3c14c21f-8134-11ef-9e85-02d0d7ecc26b",
    name: l("Front", "正面", "正面"),
    description: l("The front of the bag, straight on", "正对包的正面", "バッグの正面をまっすぐ"),
    ordinal: 1,
    required: true,
    group: GROUP_EXTERIOR,
    image: sideImage("bags/front"),
    overlay: true,
    active: true
  },
  {
    uuid: "3c14e254-8134-11ef-9e85-02d0d7ecc26b",
    name: l("Back", "背面", "背面"),
    description: l("The back of the bag, straight on", "正对包的背面", "バッグの背面をまっすぐ"),
    ordinal: 2,
    required: true,
    group: GROUP_EXTERIOR,
    image: sideImage("bags/back"),
    overlay: true,
    active: true
  },
  {
    uuid: "7a8b9c0d-8134-11ef-9e85-02d0d7ecc26b",
    name: l("Interior Label or Heat Stamp", "内部标签或烫印", "内側のラベルまたはヒートスタンプ"),
    description: l("The brand stamp inside the bag", "包内的品牌印记", "バッグ内側のブランド刻印"),
    ordinal: 3,
    required: true,
    group: GROUP_INTERIOR,
    image: sideImage("bags/interior-label"),
    overlay: true,
    active: true
  },
  {
    uuid: "7a8bb2e4-8134-11ef-9e85-02d0d7ecc26b",
    name: l("Hardware", "五金", "金具"),
    description: l("Zippers, clasps and engravings", "拉链、扣件与刻字", "ファスナー、留め具、刻印"),
    ordinal: 4,
    required: false,
    group: GROUP_INTERIOR,
    image: sideImage("bags/hardware"),
    overlay: false,
    active: true
  },
  {
    uuid: "7a8bc5f7-8134-11ef-9e85-02d0d7ecc26b",
    name: l("Date Code or Serial", "日期码或序列号", "デートコードまたはシリアル"),
    description: l(
      "The date code tab or serial sticker",
      "日期码标签或序列号贴纸",
      "デートコードタブまたはシリアルシール"
    ),
    ordinal: 5,
    required: false,
    group: GROUP_INTERIOR,
    image: null,
    overlay: false,
    active: true
  },
  {
    uuid: "d5768e36-8197-11ef-be55-028adb369789",
    name: l("Front", "正面", "正面"),
    description: l(
      "Clear image of the front-facing side of the item showing overall shape, design, and material.",
      "清晰拍摄物品正面，展示整体形状、设计与材质。",
      "全体の形、デザイン、素材がわかる正面の鮮明な写真。"
    ),
    ordinal: 1,
    required: true,
    group: GROUP_EXTERIOR,
    image: "https://cdn.legitmark.com/static/sides/accessories/accessories-front.png",
    overlay: true,
    active: true
  },
  {
    uuid: "d5769a11-8197-11ef-be55-028adb369789",
    name: l("Back", "背面", "背面"),
    description: l("The back of the item with any stamps", "物品背面及印记", "刻印を含むアイテムの背面"),
    ordinal: 2,
    required: false,
    group: GROUP_EXTERIOR,
    image: null,
    overlay: false,
    active: true
  }
]

/**
 * @since 0.1.0
 */
export const reasons: ReadonlyArray<Reason> = [
  {
    uuid: "0d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d1",
    code: "BLURRY",
    name: l("Image is Blurry", "图像模糊", "画像がぼやけています"),
    message: l(
      "The submitted image is too blurry. Please capture a clearer photo, ensuring minimal motion for better accuracy.",
      "提交的图像过于模糊。请保持稳定，重新拍摄更清晰的照片。",
      "送信された画像がぼやけています。手ぶれに注意して、より鮮明な写真を撮影してください。"
    ),
    active: true
  },
  {
    uuid: "0d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d2",
    code: "LIGHTING",
    name: l("Insufficient Lighting", "光线不足", "照明が不十分です"),
    message: l(
      "The lighting in the submitted image is insufficient. Please take a new photo with better lighting for improved visibility.",
      "提交图像的光线不足。请在更好的光线下重新拍摄。",
      "送信された画像の照明が不十分です。明るい場所で撮り直してください。"
    ),
    active: true
  },
  {
    uuid: "0d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d3",
    code: "WRONG_ANGLE",
    name: l("Incorrect Angle", "角度不正确", "角度が正しくありません"),
    message: l(
      "The photo does not show the requested angle. Please follow the overlay guide.",
      "照片未按要求的角度拍摄。请参照示意图拍摄。",
      "指定された角度で撮影されていません。オーバーレイに従ってください。"
    ),
    active: true
  },
  {
    uuid: "0d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d4",
    code: "CROPPED",
    name: l("Item Not Fully Visible", "物品未完整显示", "アイテム全体が写っていません"),
    message: l(
      "Part of the item is cut off. Please make sure the whole area is in frame.",
      "物品部分被裁切。请确保整个区域都在画面内。",
      "アイテムの一部が切れています。全体が収まるように撮影してください。"
    ),
    active: true
  }
]

/**
 * @since 0.1.0
 */
export const defaultReason: Reason = reasons[0]!

/**
 * @since 0.1.0
 */
export const category = (uuid: string): Category | undefined => categories.find((c) => c.uuid === uuid)

/**
 * @since 0.1.0
 */
export const type = (uuid: string): Type | undefined => types.find((t) => t.uuid === uuid)

/**
 * @since 0.1.0
 */
export const brand = (uuid: string): Brand | undefined => brands.find((b) => b.uuid === uuid)

/**
 * @since 0.1.0
 */
export const model = (uuid: string): Model | undefined => models.find((m) => m.uuid === uuid)

/**
 * @since 0.1.0
 */
export const service = (uuid: string): Service | undefined => services.find((s) => s.uuid === uuid)

/**
 * @since 0.1.0
 */
export const side = (uuid: string): Side | undefined => sides.find((s) => s.uuid === uuid)

/**
 * @since 0.1.0
 */
export const sideGroup = (uuid: string): SideGroup | undefined => sideGroups.find((g) => g.uuid === uuid)

/**
 * The sides an SR of this category and type must (and may) photograph: the category's sides plus the
 * type's, in ordinal order.
 *
 * @since 0.1.0
 */
export const requirements = (
  categoryId: string,
  typeId: string
): { readonly required: ReadonlyArray<Side>; readonly optional: ReadonlyArray<Side> } => {
  const ids = [...(category(categoryId)?.sides ?? []), ...(type(typeId)?.sides ?? [])]
  const all = [...new Set(ids)].flatMap((id) => {
    const s = side(id)
    return s === undefined ? [] : [s]
  }).sort((a, b) => a.ordinal - b.ordinal)
  return { required: all.filter((s) => s.required), optional: all.filter((s) => !s.required) }
}

/**
 * The service picked when a create request names none.
 *
 * @since 0.1.0
 */
export const serviceFor = (categoryId: string): Service | undefined =>
  services.find((s) => s.active && s.categories.includes(categoryId))

/**
 * CDN image of a catalog entry, in the style of the published payloads.
 *
 * @since 0.1.0
 */
export const media = {
  category: (uuid: string) => `https://cdn.legitmark.com/categories/${uuid}.png`,
  type: (uuid: string) => `https://cdn.legitmark.com/types/${uuid}.png`,
  brand: (slug: string) => `https://media.legitmark.com/static/brands/${slug}.svg`
}

/**
 * The uuids of the catalog entries tests reach for most.
 *
 * @since 0.2.0
 */
export const ids = {
  footwear: FOOTWEAR,
  sneakers: SNEAKERS,
  bag: BAG,
  crossbody: CROSSBODY,
  nike: NIKE,
  chanel: CHANEL,
  dunkLow: "c1a0e7b2-3f4d-4a5b-8c6d-0e1f2a3b4c02",
  classicFlap: "c1a0e7b2-3f4d-4a5b-8c6d-0e1f2a3b4c06",
  sneakerService: "3167113c-9272-11ef-b98d-06fb0f2a63e5",
  luxuryService: LUXURY_SERVICE,
  sides: {
    interiorSizeTag: "ec883c70-f896-47c9-81b6-8d6ff0b5856a",
    outerSides: "4a10bea5-a89c-4489-bba0-e55d8950b8dd",
    boxLabel: "e35a64e1-2629-4c4a-8e9c-9e9840db725e",
    front: "3c14c21f-8134-11ef-9e85-02d0d7ecc26b",
    back: "3c14e254-8134-11ef-9e85-02d0d7ecc26b",
    interiorLabel: "7a8b9c0d-8134-11ef-9e85-02d0d7ecc26b",
    hardware: "7a8bb2e4-8134-11ef-9e85-02d0d7ecc26b"
  },
  sideGroups: {
    overview: GROUP_OVERVIEW,
    exterior: GROUP_EXTERIOR,
    interior: GROUP_INTERIOR
  }
} as const
