package seed

// The demo retailer: a Taiwanese chain with five stores and one central warehouse, selling
// apparel, footwear, accessories, home goods, cosmetics, snacks and stationery.

type locationDef struct {
	code, name, kind          string
	line1, line2, city, postc string
	phone                     string
	lat, lon                  float64
}

// warehouseCode is the central warehouse: it stocks every variant.
const warehouseCode = "WH-TAO"

// flagshipCode is the first store: home of the demo manager and associate.
const flagshipCode = "TPE-01"

var locationDefs = []locationDef{
	{flagshipCode, "Taipei Xinyi", "STORE", "No. 11, Songgao Road", "Xinyi District", "Taipei City", "110", "+886-2-2722-8810", 25.03920, 121.56710},
	{"TPE-02", "Taipei Zhongshan", "STORE", "No. 15, Section 1, Nanjing West Road", "Zhongshan District", "Taipei City", "104", "+886-2-2521-6620", 25.05268, 121.52030},
	{"HSZ-01", "Hsinchu Science Park", "STORE", "No. 229, Section 2, Guangfu Road", "East District", "Hsinchu City", "300", "+886-3-571-3350", 24.79620, 120.99680},
	{"TCH-01", "Taichung Xitun", "STORE", "No. 251, Section 3, Taiwan Boulevard", "Xitun District", "Taichung City", "407", "+886-4-2258-9930", 24.16480, 120.64330},
	{"KHH-01", "Kaohsiung Sanduo", "STORE", "No. 21, Sanduo 4th Road", "Lingya District", "Kaohsiung City", "802", "+886-7-333-1260", 22.61390, 120.30480},
	{warehouseCode, "Taoyuan Central Warehouse", "WAREHOUSE", "No. 88, Wenhua 2nd Road", "Guishan District", "Taoyuan City", "333", "+886-3-328-5500", 25.03960, 121.38710},
}

type staffDef struct {
	login, name, email, role, home string
}

// staffDefs starts with one login per role, in StaffLogins order, then store staff.
var staffDefs = []staffDef{
	{"admin", "Kevin Huang", "kevin.huang@atrium.example.com", "ADMIN", ""},
	{"manager", "Grace Lin", "grace.lin@atrium.example.com", "MANAGER", flagshipCode},
	{"associate", "Jason Chen", "jason.chen@atrium.example.com", "ASSOCIATE", flagshipCode},
	{"fulfilment", "Ming-Hui Wu", "minghui.wu@atrium.example.com", "FULFILMENT", warehouseCode},
	{"buyer", "Vivian Tsai", "vivian.tsai@atrium.example.com", "BUYER", ""},
	{"accountant", "Peter Chang", "peter.chang@atrium.example.com", "ACCOUNTANT", ""},
	{"hr", "Amy Liu", "amy.liu@atrium.example.com", "HR", ""},
	{"yuting.lee", "Yu-Ting Lee", "yuting.lee@atrium.example.com", "ASSOCIATE", "TPE-02"},
	{"chiahao.lin", "Chia-Hao Lin", "chiahao.lin@atrium.example.com", "ASSOCIATE", "HSZ-01"},
	{"hsinyi.kuo", "Hsin-Yi Kuo", "hsinyi.kuo@atrium.example.com", "ASSOCIATE", "TCH-01"},
	{"tzuhan.yang", "Tzu-Han Yang", "tzuhan.yang@atrium.example.com", "ASSOCIATE", "KHH-01"},
	{"shufen.hsu", "Shu-Fen Hsu", "shufen.hsu@atrium.example.com", "MANAGER", "KHH-01"},
	{"junjie.cheng", "Jun-Jie Cheng", "junjie.cheng@atrium.example.com", "FULFILMENT", warehouseCode},
}

type customerDef struct {
	name, email, phone string
	login              bool // has the demo password
}

// customerDefs mixes online accounts (email, some with a phone) and store members who
// only gave a phone number at the till.
var customerDefs = []customerDef{
	{"Mei Lin", DemoCustomerEmail, "+886912345678", true},
	{"David Wang", "david.wang@example.com", "+886922118406", true},
	{"Sophia Chen", "sophia.chen@example.com", "+886933275190", true},
	{"Yuki Tanaka", "yuki.tanaka@example.com", "", true},
	{"Wei-Ting Chang", "weiting.chang@example.com", "+886955402613", false},
	{"Chun-Yi Huang", "chunyi.huang@example.com", "+886963887120", false},
	{"Ya-Wen Liu", "yawen.liu@example.com", "+886970551348", false},
	{"Po-Han Tsai", "pohan.tsai@example.com", "+886981206774", false},
	{"I-Chen Yang", "ichen.yang@example.com", "", false},
	{"Hao-Yu Hsieh", "haoyu.hsieh@example.com", "+886918664205", false},
	{"Pei-Shan Kao", "peishan.kao@example.com", "+886928310957", false},
	{"Jia-Hui Chou", "jiahui.chou@example.com", "+886937742081", false},
	{"Emily Ho", "emily.ho@example.com", "+886952019436", false},
	{"Michael Lai", "michael.lai@example.com", "", false},
	{"Tsung-Han Su", "tsunghan.su@example.com", "+886975830162", false},
	{"Hui-Ling Kuo", "huiling.kuo@example.com", "+886986457320", false},
	{"An-Chi Lu", "anchi.lu@example.com", "+886910928375", false},
	{"Chen Shu-Hua", "", "+886921570864", false},
	{"Lee Kuo-Ming", "", "+886932406518", false},
	{"Hung Ya-Ting", "", "+886958114927", false},
	{"Tseng Chih-Wei", "", "+886967323805", false},
	{"Pan Li-Chun", "", "+886978640291", false},
	{"Fang Yi-Jun", "", "+886989251743", false},
	{"Lo Hsiu-Ying", "", "+886915806432", false},
	{"Jiang Ming-Che", "", "+886927093516", false},
}

type categoryDef struct {
	handle, name, parent string
}

var categoryDefs = []categoryDef{
	{"apparel", "Apparel", ""},
	{"womens-clothing", "Women's clothing", "apparel"},
	{"mens-clothing", "Men's clothing", "apparel"},
	{"kids-clothing", "Kids' clothing", "apparel"},
	{"footwear", "Footwear", ""},
	{"accessories", "Bags & accessories", ""},
	{"home", "Home & living", ""},
	{"kitchen-dining", "Kitchen & dining", "home"},
	{"bed-bath", "Bed & bath", "home"},
	{"beauty", "Beauty & personal care", ""},
	{"skincare", "Skincare", "beauty"},
	{"makeup", "Makeup", "beauty"},
	{"hair-body", "Hair & body", "beauty"},
	{"food", "Food & snacks", ""},
	{"snacks-gifts", "Snacks & gift boxes", "food"},
	{"tea-coffee", "Tea & coffee", "food"},
	{"pantry", "Pantry", "food"},
	{"stationery", "Stationery & gifts", ""},
}

// groupDef is a family of products sharing a category, SKU code, brands, option axes and
// lot tracking; each product picks colours from the palette unless it lists its own.
type groupDef struct {
	code      string // SKU prefix
	category  string
	brands    []string
	sizes     []string // default sizes; "label=price" overrides the price (NT$)
	palette   []string
	colours   int // how many colours from the palette a product gets (0: none)
	lot       bool
	shelfLife int // days, for lot-tracked groups
	about     string
	products  []productDef
}

type productDef struct {
	title     string
	price     int // NT$ (major units)
	sizes     []string
	colours   []string
	noColour  bool
	notLot    bool
	shelfLife int
	draft     bool
}

// p is a product at price NT$price with its group's options.
func p(title string, price int) productDef { return productDef{title: title, price: price} }

func (d productDef) s(sizes ...string) productDef   { d.sizes = sizes; return d }
func (d productDef) c(colours ...string) productDef { d.colours = colours; return d }
func (d productDef) plain() productDef              { d.noColour = true; return d }
func (d productDef) noLot() productDef              { d.notLot = true; return d }
func (d productDef) life(days int) productDef       { d.shelfLife = days; return d }
func (d productDef) asDraft() productDef            { d.draft = true; return d }

var (
	adultSizes = []string{"S", "M", "L", "XL"}
	womenSizes = []string{"XS", "S", "M", "L"}
	kidSizes   = []string{"100", "110", "120", "130", "140"}
	womenShoes = []string{"EU 36", "EU 37", "EU 38", "EU 39", "EU 40"}
	menShoes   = []string{"EU 40", "EU 41", "EU 42", "EU 43", "EU 44"}
	oneSize    = []string{"One size"}
	basics     = []string{"Black", "White", "Navy", "Heather Grey", "Beige", "Olive", "Light Blue", "Charcoal", "Off White", "Khaki"}
	brights    = []string{"Black", "Ivory", "Dusty Pink", "Sage", "Camel", "Navy", "Wine", "Mustard", "Sky Blue", "Brown"}
)

var groupDefs = []groupDef{
	{
		code: "WAP", category: "womens-clothing", brands: []string{"Atrium Basics", "Island Linen", "Formosa Outdoor"},
		sizes: womenSizes, palette: brights, colours: 2,
		about: "Cut for Taiwan's warm, humid days: breathable fabric, easy care, machine washable.",
		products: []productDef{
			p("Linen Relaxed Shirt", 1290), p("Cotton Crew Neck Tee", 390), p("Ribbed Tank Top", 290),
			p("High-Rise Wide Leg Trousers", 1490), p("Pleated Midi Skirt", 1290), p("Cropped Denim Jacket", 1990).c("Indigo", "Light Wash"),
			p("Merino Crew Sweater", 1990), p("Light Down Vest", 1490), p("UV Cut Hooded Cardigan", 990),
			p("Seamless Sports Bra", 590), p("High-Waist Yoga Leggings", 890), p("Oversized Hoodie", 1190),
			p("Floral Wrap Dress", 1590).c("Blue Floral", "Red Floral"), p("Satin Blouse", 1190), p("Straight Leg Jeans", 1490).c("Indigo", "Black", "Light Wash"),
			p("Lounge Jogger Pants", 790), p("Cable Knit Cardigan", 1690), p("Striped Boat Neck Tee", 590).c("Navy Stripe", "Red Stripe"),
			p("Packable Rain Parka", 2490), p("Smocked Midi Dress", 1790).asDraft(),
		},
	},
	{
		code: "MAP", category: "mens-clothing", brands: []string{"Atrium Basics", "Formosa Outdoor"},
		sizes: adultSizes, palette: basics, colours: 2,
		about: "Everyday essentials in durable fabrics that keep their shape wash after wash.",
		products: []productDef{
			p("Oxford Button-Down Shirt", 990), p("Supima Cotton Crew Tee", 490), p("Slim Fit Chinos", 1290),
			p("Stretch Selvedge Jeans", 1790).c("Indigo", "Black"), p("Pique Polo Shirt", 790), p("Dry Mesh Running Tee", 590),
			p("Fleece Full-Zip Jacket", 1290), p("Ultra Light Down Jacket", 2490), p("Linen Short Sleeve Shirt", 990),
			p("Ripstop Cargo Shorts", 790), p("Crew Neck Sweatshirt", 990), p("Waffle Knit Henley", 690),
			p("Easy Ankle Pants", 990), p("Hooded Windbreaker", 1690), p("Cotton Boxer Briefs 3-Pack", 590).c("Assorted"),
		},
	},
	{
		code: "KAP", category: "kids-clothing", brands: []string{"Atrium Kids"},
		sizes: kidSizes, palette: []string{"Yellow", "Sky Blue", "Pink", "Green", "Navy", "Red"}, colours: 2,
		about: "Soft, sturdy clothes for school and play. Sizes by height in centimetres.",
		products: []productDef{
			p("Kids Graphic Tee", 290), p("Kids Jersey Shorts", 390), p("Kids Fleece Hoodie", 690),
			p("Kids Rain Jacket", 890), p("Kids Cotton Pajama Set", 590), p("Kids UV Cut Rash Guard", 490),
		},
	},
	{
		code: "FTW", category: "footwear", brands: []string{"Yushan Trail", "Atrium Basics"},
		sizes: menShoes, palette: []string{"Black", "White", "Grey", "Navy", "Tan", "Olive"}, colours: 2,
		about: "Comfortable footwear with cushioned insoles, tested on Taipei's rainy streets.",
		products: []productDef{
			p("Everyday Canvas Sneakers", 1290).s("EU 37", "EU 38", "EU 39", "EU 40", "EU 41", "EU 42", "EU 43"),
			p("Leather Court Sneakers", 2490), p("Trail Running Shoes", 3290), p("Suede Penny Loafers", 1990),
			p("Recovery Slides", 690).s("S", "M", "L", "XL"), p("Classic Blue & White Slippers", 199).s("S", "M", "L", "XL").c("Blue/White"),
			p("Chelsea Boots", 3490).c("Black", "Tan"), p("Knit Running Shoes", 2690), p("Waterproof Hiking Boots", 3990).c("Brown", "Black"),
			p("Leather Ballet Flats", 1490).s(womenShoes...).c("Black", "Nude", "Red"), p("Platform Sandals", 1290).s(womenShoes...),
			p("Kids Light-Up Sneakers", 990).s("EU 28", "EU 30", "EU 32", "EU 34").c("Pink", "Blue"),
			p("Slip-On Mules", 1690).s(womenShoes...), p("Cushioned Walking Shoes", 2290), p("Rain Boots", 990).s(womenShoes...).c("Black", "Khaki", "Red"),
		},
	},
	{
		code: "ACC", category: "accessories", brands: []string{"Atrium", "Lanyu Leather"},
		sizes: oneSize, palette: []string{"Black", "Navy", "Beige", "Brown", "Olive", "Grey", "Burgundy"}, colours: 2,
		about: "Well-made accessories for the commute, the weekend and everything between.",
		products: []productDef{
			p("Canvas Tote Bag", 590), p("Leather Card Holder", 890), p("Bifold Leather Wallet", 1490),
			p("Crossbody Sling Bag", 990), p("Nylon Backpack 20 L", 1490), p("Packable Daypack", 790),
			p("Cotton Bucket Hat", 490).s("M", "L"), p("Washed Baseball Cap", 490), p("Rib Knit Beanie", 390),
			p("Printed Silk Scarf", 990).c("Peony Print", "Wave Print"), p("UV Protection Umbrella", 690), p("Compact Folding Umbrella", 590),
			p("Leather Belt", 990).s("85 cm", "90 cm", "95 cm", "100 cm"), p("Cotton Crew Socks 3-Pack", 390).s("S", "M", "L"),
			p("Polarised Sunglasses", 1290).c("Black", "Tortoise"), p("Hair Claw Clip", 190).c("Tortoise", "Black", "Cream"),
			p("Phone Crossbody Lanyard", 390), p("Travel Pouch Set", 490), p("Laptop Sleeve 14 in", 890),
			p("Touchscreen Gloves", 490).s("S/M", "L/XL"), p("Foldable Shopping Bag", 290), p("Leather Keyring", 190),
			p("Weekend Duffel Bag", 2490), p("Canvas Pencil Case", 290).asDraft(),
		},
	},
	{
		code: "KIT", category: "kitchen-dining", brands: []string{"Taroko Living"},
		sizes: oneSize, palette: []string{"White", "Celadon", "Charcoal", "Sand", "Indigo"}, colours: 2,
		about: "Table and kitchenware inspired by Yingge ceramics, made to be used every day.",
		products: []productDef{
			p("Stoneware Mug 350 ml", 390), p("Stoneware Dinner Plate 26 cm", 490), p("Glass Teapot 600 ml", 890).plain(),
			p("Bamboo Cutting Board", 690).s("Small", "Large=990").plain(), p("Cast Iron Skillet", 1590).s("20 cm", "24 cm=1890").plain(),
			p("Electric Kettle 1.2 L", 1290).c("White", "Charcoal"), p("Rice Bowl Set of 4", 690), p("Wooden Chopsticks Set of 5", 290).plain(),
			p("Stainless Bento Lunch Box", 590), p("Insulated Water Bottle 750 ml", 790), p("Stainless Steel Tumbler 500 ml", 690),
			p("Celadon Tea Cup Set", 990).plain(), p("Ceramic Soup Spoon Set of 4", 250), p("Linen Table Napkins Set of 4", 590),
		},
	},
	{
		code: "BED", category: "bed-bath", brands: []string{"Island Linen", "Taroko Living"},
		sizes: oneSize, palette: []string{"White", "Oatmeal", "Sage", "Grey", "Blush", "Navy"}, colours: 2,
		about: "Natural fibres for cool, restful sleep through Taiwan's summers.",
		products: []productDef{
			p("Washed Linen Duvet Cover", 2990).s("Single", "Double=3490", "Queen=3990"), p("Cotton Bath Towel", 490), p("Cotton Hand Towel", 190),
			p("Aroma Diffuser", 1490).c("White", "Walnut"), p("Hinoki Scented Candle", 590).plain(), p("Cushion Cover 45 cm", 490),
			p("Waffle Throw Blanket", 1290), p("Seagrass Storage Basket", 590).s("S", "M=690", "L=790").plain(), p("Hinoki Bath Mat", 990).plain(),
			p("Cotton Bed Sheet Set", 1990).s("Single", "Double=2290", "Queen=2590"), p("Memory Foam Pillow", 890).plain(),
			p("LED Desk Lamp", 1490).c("White", "Black"), p("Minimal Wall Clock", 990).c("White", "Black"), p("Collapsible Laundry Hamper", 690),
		},
	},
	{
		code: "SKN", category: "skincare", brands: []string{"Lotus Skin Lab", "Green Isle"},
		sizes: []string{"50 ml"}, lot: true, shelfLife: 1095,
		about: "Gentle formulas for humid climates. Dermatologist tested, fragrance free.",
		products: []productDef{
			p("Hydrating Sheet Mask 10-Pack", 390).s("10 masks"), p("Pearl Brightening Sheet Mask 5-Pack", 290).s("5 masks"),
			p("Daily UV Sunscreen SPF50+", 590).s("30 ml", "50 ml=790"), p("Gentle Foaming Cleanser", 390).s("150 ml"),
			p("Deep Cleansing Oil", 690).s("200 ml"), p("Hyaluronic Hydrating Toner", 590).s("150 ml", "300 ml=890"),
			p("Niacinamide Serum", 890).s("30 ml"), p("Moisture Gel Cream", 790), p("Brightening Eye Cream", 990).s("15 ml"),
			p("Tea Tree Spot Gel", 290).s("15 ml"), p("Micellar Cleansing Water", 390).s("400 ml"), p("Oil Blotting Papers", 99).s("100 sheets").noLot(),
			p("Soothing Aloe Gel", 290).s("250 ml"),
		},
	},
	{
		code: "MKP", category: "makeup", brands: []string{"Peony Beauty"},
		sizes: oneSize, palette: []string{"Rose", "Coral", "Brick", "Berry", "Nude", "Cherry"}, colours: 3, lot: true, shelfLife: 1095,
		about: "Long-wear, sweat-proof colour that lasts through a Kaohsiung afternoon.",
		products: []productDef{
			p("Velvet Lip Tint", 390), p("Tinted Lip Balm", 190), p("Cushion Foundation SPF35", 990).c("17 Porcelain", "21 Light", "23 Medium", "25 Tan"),
			p("Slim Brow Pencil", 290).c("Dark Brown", "Grey Brown", "Light Brown"), p("Waterproof Curl Mascara", 390).c("Black", "Brown"),
			p("Gel Nail Polish", 250), p("Cream Blush Stick", 450), p("Loose Setting Powder", 590).c("Translucent", "Light"),
			p("Eyeshadow Quad", 690).c("Nude Beige", "Rose Brown", "Khaki"), p("Makeup Brush Set", 890).c("Black").noLot(),
		},
	},
	{
		code: "HAB", category: "hair-body", brands: []string{"Green Isle", "Lotus Skin Lab"},
		sizes: []string{"300 ml"}, palette: []string{"Camellia", "Hinoki", "Osmanthus", "Grapefruit", "Unscented"}, colours: 1, lot: true, shelfLife: 1095,
		about: "Plant-based care with scents from Taiwan's mountains and gardens.",
		products: []productDef{
			p("Nourishing Hand Cream", 290).s("50 ml").c("Camellia", "Osmanthus", "Unscented"), p("Daily Body Lotion", 490),
			p("Camellia Hair Oil", 590).s("100 ml").plain(), p("Moisture Shampoo", 390).s("300 ml", "750 ml=690"),
			p("Repair Conditioner", 390).s("300 ml", "750 ml=690"), p("Handmade Soap Bar", 150).s("100 g").c("Hinoki", "Camellia", "Grapefruit"),
			p("Body Wash", 350).s("500 ml"), p("Natural Deodorant Stick", 320).s("50 g"),
		},
	},
	{
		code: "SNK", category: "snacks-gifts", brands: []string{"Formosa Bakery", "Sun Moon Snacks"},
		sizes: []string{"Box"}, lot: true, shelfLife: 90,
		about: "Made in Taiwan with local ingredients; a favourite gift for visiting friends and family.",
		products: []productDef{
			p("Pineapple Cakes Gift Box", 300).s("6 pcs", "12 pcs=560").life(60), p("Sun Cakes Gift Box", 330).s("6 pcs", "12 pcs=620").life(30),
			p("Peanut Nougat", 280).s("250 g"), p("Dried Mango Slices", 220).s("200 g").life(270),
			p("Brown Sugar Bubble Tea Kit", 390).s("4 servings").life(180), p("Taiwanese Beef Jerky", 399).s("300 g").c("Original", "Spicy", "Black Pepper"),
			p("Pork Floss", 260).s("200 g").life(180), p("Mochi Assortment", 320).s("8 pcs").life(14), p("Butter Egg Rolls Tin", 350).s("24 rolls").life(240),
			p("Sesame Crackers", 150).s("150 g").life(180), p("Mung Bean Cakes", 280).s("6 pcs").life(45), p("Nougat Scallion Crackers", 260).s("16 pcs").life(120),
			p("Almond Tile Crisps", 220).s("120 g").life(150), p("Roasted Garlic Peanuts", 120).s("300 g").life(240),
		},
	},
	{
		code: "TEA", category: "tea-coffee", brands: []string{"Alishan Tea Co.", "Jade Leaf Tea"},
		sizes: []string{"150 g"}, lot: true, shelfLife: 730,
		about: "Single-origin Taiwanese teas, vacuum packed at the farm.",
		products: []productDef{
			p("Alishan High Mountain Oolong", 800).s("75 g", "150 g=1500"), p("Sun Moon Lake Black Tea", 650).s("100 g"),
			p("Jasmine Green Tea Bags", 220).s("20 bags"), p("Oriental Beauty Oolong", 980).s("75 g"), p("Tieguanyin Roasted Oolong", 720).s("150 g"),
			p("Black Sugar Ginger Tea", 199).s("12 cubes").life(365), p("Drip Coffee Bags", 350).s("10 bags").life(365).c("Light Roast", "Dark Roast"),
			p("Honey Osmanthus Tea", 280).s("20 bags"), p("Hakka Lei Cha Powder", 300).s("10 sachets").life(365),
		},
	},
	{
		code: "PAN", category: "pantry", brands: []string{"Hualien Harvest", "Formosa Kitchen"},
		sizes: []string{"Jar"}, lot: true, shelfLife: 365,
		about: "Pantry staples from Taiwan's family producers.",
		products: []productDef{
			p("Chili Crisp Oil", 280).s("240 g"), p("Soy Paste", 190).s("300 ml"), p("Braised Beef Noodles Instant", 360).s("4-pack"),
			p("Dried Shiitake Mushrooms", 380).s("150 g"), p("Longan Honey", 450).s("700 g").life(730), p("Guava Juice", 240).s("6 x 250 ml").life(180),
			p("Sesame Oil", 260).s("500 ml"), p("Rice Vermicelli", 90).s("250 g").life(540), p("Black Vinegar", 160).s("600 ml").life(730),
		},
	},
	{
		code: "STN", category: "stationery", brands: []string{"Atrium Paper"},
		sizes: oneSize, palette: []string{"Black", "Navy", "Kraft", "Sage", "Terracotta"}, colours: 2,
		about: "Paper goods and small gifts featuring Taiwanese design.",
		products: []productDef{
			p("Dot Grid Notebook A5", 290), p("Gel Pen Set of 6", 190).plain(), p("Washi Tape Set", 150).c("Night Market", "Mountains"),
			p("Taiwan Landmarks Postcard Set", 180).plain(), p("Brass Fountain Pen", 1290).c("Brass", "Black"), p("Desk Calendar", 350).plain(),
			p("Weekly Planner", 420), p("Canvas Pencil Roll", 390), p("Greeting Card Set", 220).plain(), p("Sticky Notes Set", 120).plain(),
		},
	},
}

// colourCodes are the SKU abbreviations of colours; others use their first letters.
var colourCodes = map[string]string{
	"Black": "BLK", "White": "WHT", "Navy": "NVY", "Heather Grey": "HGY", "Beige": "BGE", "Olive": "OLV",
	"Light Blue": "LBL", "Charcoal": "CHR", "Off White": "OWH", "Khaki": "KHK", "Ivory": "IVR", "Dusty Pink": "DPK",
	"Sage": "SGE", "Camel": "CML", "Wine": "WIN", "Mustard": "MUS", "Sky Blue": "SKY", "Brown": "BRN",
	"Grey": "GRY", "Tan": "TAN", "Indigo": "IND", "Light Wash": "LWS", "Blue Floral": "BFL", "Red Floral": "RFL",
	"Navy Stripe": "NST", "Red Stripe": "RST", "Blue/White": "BWH", "Nude": "NUD", "Red": "RED", "Pink": "PNK",
	"Blue": "BLU", "Yellow": "YLW", "Green": "GRN", "Burgundy": "BUR", "Tortoise": "TRT", "Cream": "CRM",
	"Peony Print": "PEO", "Wave Print": "WAV", "Celadon": "CEL", "Sand": "SND", "Oatmeal": "OAT", "Blush": "BLS",
	"Walnut": "WAL", "Rose": "ROS", "Coral": "COR", "Brick": "BRK", "Berry": "BER", "Cherry": "CHE",
	"17 Porcelain": "17", "21 Light": "21", "23 Medium": "23", "25 Tan": "25", "Dark Brown": "DBR", "Grey Brown": "GBR",
	"Light Brown": "LBR", "Translucent": "TRN", "Light": "LGT", "Nude Beige": "NBG", "Rose Brown": "RBR",
	"Camellia": "CAM", "Hinoki": "HIN", "Osmanthus": "OSM", "Grapefruit": "GRP", "Unscented": "UNS",
	"Original": "ORI", "Spicy": "SPC", "Black Pepper": "BPP", "Light Roast": "LRS", "Dark Roast": "DRS",
	"Kraft": "KRF", "Terracotta": "TER", "Night Market": "NMK", "Mountains": "MTN", "Brass": "BRS", "Assorted": "AST",
}
