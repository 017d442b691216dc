"""The demo catalogue's fixed data (pure literals): a Mercari-like category tree, real brand names and product
lines, size systems, colours, and the words titles and descriptions are made of. Kept apart from `catalog.py` so
the logic reads without scrolling past a thousand names.

Tree format, one c1 per line (continued on indented lines) under a `== c0 | weight` header:
    c1 name | shape | size system | base price (USD) | leaf; leaf; ...
A leaf is `Name[=title noun][#shape][@base price][%size system]`; what a leaf leaves out it takes from its c1.
The shape names a drawing in `thumbnails.py`; the size system names a list in `SIZE_SYSTEMS` ("-" for none)."""

from __future__ import annotations

STYLE_WORDS: dict[str, list[str]] = {
    "apparel": ["Oversized", "Cropped", "Vintage", "Y2K", "Floral", "Striped", "Graphic", "Ribbed", "Relaxed Fit",
                "Slim Fit", "High Waisted", "Lightweight", "Cozy", "Boho", "Classic", "Distressed", "Plaid"],
    "footwear": ["Leather", "Suede", "Canvas", "Platform", "High Top", "Low Top", "Retro", "Waterproof", "Chunky"],
    "bag": ["Leather", "Canvas", "Quilted", "Monogram", "Mini", "Large", "Vintage", "Pebbled Leather", "Chain Strap"],
    "accessory": ["Sterling Silver", "14K Gold", "Gold Plated", "Vintage", "Dainty", "Polarized", "Leather",
                  "Stainless Steel"],
    "toy": ["Complete", "Retired", "Rare", "Vintage", "Exclusive", "Limited Edition", "Chase", "Collectible"],
    "card": ["PSA 10", "PSA 9", "BGS 9.5", "Holo", "1st Edition", "Near Mint", "Rookie", "Reverse Holo", "Full Art"],
    "book": ["Hardcover", "Paperback", "First Edition", "Signed", "Large Print", "Illustrated"],
    "music": ["Colored Vinyl", "Limited Edition", "Deluxe Edition", "Import", "180g", "Signed"],
    "video": ["Complete", "Steelbook", "Collector's Edition", "Widescreen", "Special Edition"],
    "beauty": ["Full Size", "Travel Size", "Mini", "Limited Edition", "Discontinued", "Holiday Set"],
    "appliance": ["Cordless", "Quiet", "Portable", "Smart", "HEPA", "Compact"],
    "home": ["Set of 2", "Set of 4", "Ceramic", "Glass", "Wooden", "Handmade", "Farmhouse", "Boho", "Mid Century",
             "Vintage", "Large", "Queen", "King"],
    "sports": ["Official Size", "Adjustable", "Lightweight", "Pro", "Youth", "Adult", "Heavy Duty", "Carbon"],
    "vintage": ["Vintage", "Antique", "1990s", "1980s", "1970s", "Rare", "Collectible", "Mid Century", "Retro"],
    "handmade": ["Handmade", "Custom", "Crochet", "Hand Painted", "Personalized", "Boho", "One of a Kind"],
    "craft": ["Set of 12", "Set of 24", "New in Package", "Assorted", "Professional", "Large"],
    "pet": ["Small", "Medium", "Large", "Durable", "Washable", "Interactive"],
    "instrument": ["Electric", "Acoustic", "Beginner", "Left Handed", "with Case", "MIM", "Sunburst"],
}
MATERIALS = ["Cotton", "Linen", "Silk", "Wool", "Cashmere", "Denim", "Fleece", "Knit", "Satin", "Corduroy",
              "Leather", "Velvet"]
CONDITION_TAGS: dict[str, dict[int, list[str]]] = {
    "apparel": {1: ["NWT", "New with Tags", "NWOT", "Brand New"], 2: ["EUC", "Like New", "Worn Once", "NWOT"],
                3: ["GUC", "Gently Used"], 4: ["Used", "Well Loved"], 5: ["Flawed", "As Is"], 6: ["As Is"]},
    "footwear": {1: ["NIB", "New in Box", "DS", "Brand New"], 2: ["Worn Once", "Like New", "VNDS"],
                 3: ["Gently Worn", "GUC"], 4: ["Used", "Beaters"], 5: ["Beat Up", "As Is"], 6: ["As Is"]},
    "tech": {1: ["New Sealed", "Brand New", "NIB"], 2: ["Like New", "Mint", "Excellent Condition"],
             3: ["Good Condition", "Works Great"], 4: ["Works", "Fair"], 5: ["Cracked", "Damaged"],
             6: ["For Parts", "Not Working", "Parts Only"]},
    "sealed": {1: ["New Sealed", "Sealed", "NIB", "Brand New"], 2: ["Like New", "Opened", "Excellent"],
               3: ["Good Condition", "Used"], 4: ["Used", "Fair"], 5: ["As Is"], 6: ["For Parts"]},
    "default": {1: ["New", "Brand New", "NIB", "New in Package"], 2: ["Like New", "Excellent"],
                3: ["Good Condition", "Used"], 4: ["Used", "Fair"], 5: ["As Is"], 6: ["For Parts"]},
}
TECH_STYLE: dict[str, list[str]] = {
    **dict.fromkeys(["headphones", "earbuds"], ["Wireless", "Bluetooth", "Noise Cancelling", "Over-Ear"]),
    "speaker": ["Wireless", "Bluetooth", "Portable", "Waterproof"],
    **dict.fromkeys(["controller", "keyboard", "mouse"], ["Wireless", "Gaming", "RGB", "Mechanical"]),
    "cable": ["Fast Charging", "USB-C", "Wireless", "6ft"],
}
CASE_STYLE = ["Clear", "Glitter", "MagSafe", "Slim", "Rugged", "Cute", "Leather", "Floral"]
# Colours a kind of thing plausibly comes in (the rest draw from COLOUR_WEIGHTS).
SHAPE_COLOURS: dict[str, list[str]] = {
    "coin": ["Silver", "Silver", "Gold", "Brown"],
    "phone": ["Black", "Black", "White", "Silver", "Gold", "Blue", "Purple", "Pink", "Green", "Gray", "Red"],
    **dict.fromkeys(["laptop", "tablet", "tv", "monitor", "console", "handheld", "drone", "camera", "lens"],
                    ["Black", "Black", "Black", "Silver", "Gray", "White"]),
    "disc": ["Black", "Black", "Black", "Red", "Blue", "Multicolor", "Pink", "Yellow"],
    "plant": ["Green", "Green", "Olive", "Teal"],
    "tire": ["Black"],
}
SEALED_KINDS = {"toy", "card", "music", "video", "beauty"}
DENIM_COLOURS = ["Blue", "Blue", "Blue", "Light Blue", "Light Blue", "Navy", "Black", "Gray", "White"]
BUNDLE_KINDS = {"apparel", "toy", "card", "book", "music", "video", "beauty", "craft", "handmade", "accessory"}
STORAGE = ["64GB", "128GB", "256GB", "512GB", "1TB"]
CARRIERS = ["Unlocked", "Unlocked", "Verizon", "AT&T", "T-Mobile"]
LAPTOP_SPECS = ["8GB RAM 256GB SSD", "16GB RAM 512GB SSD", "i5 8GB", "i7 16GB", "Ryzen 7 16GB", "32GB 1TB"]
SCREEN = ['32"', '43"', '50"', '55"', '65"', '75"']
MONITOR = ['24"', '27"', '32"', '34" Ultrawide']
CONSOLE = ["1TB", "825GB", "Disc Edition", "Digital Edition", "Bundle with Games", "with 2 Controllers"]
# How sellers describe the condition, by what kind of thing it is ("wear" for clothing, "works" for devices).
DESCRIPTION_CONDITION: dict[str, dict[int, list[str]]] = {
    "wear": {
        1: ["New with tags, never worn.", "Brand new, never worn.", "New without tags, never worn."],
        2: ["Worn once, looks brand new.", "Like new, no flaws.", "Excellent condition, worn a couple of times."],
        3: ["Gently worn, no stains or holes.", "Good used condition with light wear.",
            "Some pilling, otherwise great."],
        4: ["Fair condition, shows wear (see photos).", "Well loved, still has plenty of life left."],
        5: ["Has stains / damage, sold as is.", "Heavily worn, priced accordingly."],
        6: ["Damaged, sold as is."],
    },
    "works": {
        1: ["Brand new, never used.", "New in the original sealed box.", "Brand new, opened only to check."],
        2: ["Like new, barely used, works perfectly.", "Excellent condition, no scratches.",
            "Used a handful of times."],
        3: ["Works great, light scratches from normal use.", "Good used condition, fully functional."],
        4: ["Works, but shows noticeable wear.", "Fully functional, cosmetic wear (see photos)."],
        5: ["Works with issues, see photos.", "Cracked / damaged but powers on."],
        6: ["For parts or repair only, does not work.", "Not working, selling for parts.", "Does not power on. As is."],
    },
    "sealed": {
        1: ["New and unopened.", "Factory sealed.", "Brand new, never opened."],
        2: ["Opened but never used.", "Like new, complete.", "Excellent condition, barely used."],
        3: ["Good used condition, complete.", "Some light signs of use, nothing major."],
        4: ["Fair condition, shows wear (see photos).", "Well loved but complete."],
        5: ["Heavy wear, sold as is.", "Incomplete, sold as is."],
        6: ["For parts only."],
    },
    "default": {
        1: ["Brand new, never used.", "Brand new in the original packaging.", "New, never used."],
        2: ["Used once, in like-new condition.", "Like new, no flaws.", "Excellent condition, barely used."],
        3: ["Gently used, in good shape.", "Good used condition with light wear.",
            "Some light signs of use, nothing major."],
        4: ["Fair condition, shows wear (see photos).", "Well loved, still has plenty of life left."],
        5: ["Poor condition, flaws shown in photos.", "Heavily used, priced accordingly."],
        6: ["For parts or repair only.", "Broken, sold as is."],
    },
}
DESCRIPTION_STYLE: dict[str, str] = {
    **dict.fromkeys(["apparel", "footwear", "accessory", "bag"], "wear"),
    **dict.fromkeys(["tech", "appliance", "instrument"], "works"),
    **dict.fromkeys(["toy", "card", "music", "video", "beauty"], "sealed"),
}
DESCRIPTION_EXTRAS = [
    "Smoke-free, pet-free home.", "Ships within 1 business day.", "Bundle to save!", "Price is firm.",
    "Open to reasonable offers.", "Please check my other listings.", "Ships in a sturdy box.",
    "Authentic, purchased from the store.", "No returns, ask questions before buying.", "Fast shipping!",
    "Measurements available on request.", "Comes from a clean home.", "Same or next day shipping.",
]


TREE = """
== Women | 20
Tops & Blouses | shirt | women | 16 | T-Shirts; Blouses; Tank Tops; Tunics; Button-Down Shirts=Button-Down Shirt;
    Crop Tops; Camisoles; Polos=Polo; Knit Tops; Bodysuits
Sweaters | sweater | women | 28 | Cardigans; Pullover Sweaters; Turtlenecks; Sweater Vests; Cowl Neck Sweaters;
    Cable Knit Sweaters
Coats & Jackets | jacket | women | 45 | Puffer Jackets; Denim Jackets; Leather Jackets; Trench Coats; Blazers;
    Parkas; Rain Jackets; Vests=Vest
Dresses | dress | women | 30 | Maxi Dresses; Midi Dresses; Mini Dresses; Bodycon Dresses; Wrap Dresses; Sundresses;
    Cocktail Dresses; Formal Gowns
Jeans | pants | women_num | 32 | Skinny Jeans; Straight Leg Jeans; Bootcut Jeans; Wide Leg Jeans; Boyfriend Jeans;
    Mom Jeans; Flare Jeans
Pants | pants | women | 26 | Leggings; Joggers; Trousers; Wide Leg Pants; Cargo Pants; Yoga Pants
Skirts | skirt | women | 20 | Mini Skirts; Midi Skirts; Maxi Skirts; Pleated Skirts; Denim Skirts
Shorts | shorts | women | 16 | Denim Shorts; Athletic Shorts; Bike Shorts; Casual Shorts
Athletic Apparel | shirt | women | 30 | Sports Bras; Athletic Leggings=Leggings#pants; Athletic Jackets#jacket;
    Track Pants#pants; Athletic Tops=Athletic Top; Tennis Skirts#skirt
Swimwear | swimsuit | women | 22 | Bikinis=Bikini; One-Piece Swimsuits; Cover-Ups=Cover-Up#dress; Tankinis=Tankini
Shoes | shoe | shoes_w | 50 | Sneakers; Boots=Boots#boot; Sandals; Heels=Heels#heel; Flats; Slippers;
    Athletic Shoes; Loafers; Mules & Clogs=Clogs
Women's Handbags | handbag | - | 60 | Shoulder Bags; Crossbody Bags; Totes; Satchels; Clutches; Backpacks#backpack;
    Wristlets#wallet; Hobo Bags; Bucket Bags
Women's Accessories | wallet | - | 22 | Wallets; Scarves & Wraps=Scarf#scarf; Hats=Hat#hat;
    Sunglasses=Sunglasses#sunglasses; Belts=Belt#belt; Hair Accessories=Hair Clip#ring@12; Keychains#ring@12;
    Watches=Watch#watch@60
Jewelry | necklace | - | 35 | Necklaces; Earrings=Earrings; Bracelets; Rings#ring; Charms#ring@25; Brooches#ring;
    Anklets
Maternity | dress | women | 24 | Maternity Tops=Maternity Top#shirt; Maternity Dresses;
    Maternity Jeans=Maternity Jeans#pants; Nursing Bras=Nursing Bra#shirt
Intimates & Sleepwear | shirt | women | 18 | Bras=Bra; Pajama Sets; Robes#jacket; Shapewear; Lingerie Sets

== Men | 11
Tops | shirt | men | 18 | T-Shirts; Polos=Polo; Button-Up Shirts; Tank Tops; Henleys; Jerseys
Sweats & Hoodies | sweater | men | 35 | Hoodies=Hoodie; Sweatshirts; Sweatpants=Sweatpants#pants;
    Track Jackets#jacket; Quarter Zips=Quarter Zip
Coats & Jackets | jacket | men | 60 | Puffer Jackets; Bomber Jackets; Denim Jackets; Leather Jackets; Windbreakers;
    Fleece Jackets; Varsity Jackets; Vests=Vest
Jeans | pants | men_waist | 35 | Slim Jeans; Straight Jeans; Relaxed Jeans; Skinny Jeans; Bootcut Jeans
Pants | pants | men_waist | 28 | Chinos; Cargo Pants; Joggers; Dress Pants; Work Pants
Shorts | shorts | men | 18 | Athletic Shorts; Cargo Shorts; Board Shorts; Chino Shorts
Athletic Apparel | shirt | men | 30 | Athletic Shirts; Compression Shirts; Training Shorts#shorts;
    Track Pants#pants; Athletic Jackets#jacket
Shoes | shoe | shoes_m | 70 | Sneakers; Athletic Shoes; Basketball Shoes; Boots=Boots#boot; Sandals; Loafers;
    Oxfords; Slippers; Skate Shoes
Men's Accessories | wallet | - | 25 | Wallets; Hats=Hat#hat; Belts=Belt#belt; Sunglasses=Sunglasses#sunglasses;
    Ties=Tie#tie; Watches=Watch#watch@80; Backpacks#backpack@40; Jewelry=Chain#necklace@40
Suits & Blazers | jacket | men | 80 | Suits=Suit; Blazers; Sport Coats; Tuxedos=Tuxedo; Dress Shirts#shirt@25

== Kids | 7
Girls Tops | shirt | kids | 10 | T-Shirts; Blouses; Sweatshirts#sweater; Tank Tops
Girls Dresses | dress | kids | 16 | Casual Dresses; Party Dresses; Tutus=Tutu#skirt
Girls Bottoms | pants | kids | 12 | Leggings; Jeans; Shorts=Shorts#shorts; Skirts#skirt
Boys Tops | shirt | kids | 10 | T-Shirts; Polos=Polo; Hoodies=Hoodie#sweater; Button-Up Shirts
Boys Bottoms | pants | kids | 12 | Jeans; Joggers; Shorts=Shorts#shorts; Sweatpants=Sweatpants
Baby Clothing | onesie | baby | 12 | Bodysuits; Rompers; Sleepers; Outfit Sets; Baby Hats=Baby Hat#hat
Kids Shoes | shoe | shoes_k | 25 | Sneakers; Boots=Boots#boot; Sandals; Baby Shoes; Rain Boots=Rain Boots#boot
Baby Gear | stroller | - | 120 | Strollers; Car Seats; Baby Carriers; High Chairs#chair; Baby Monitors#camera@60;
    Play Yards#box
Feeding | baby_bottle | - | 15 | Baby Bottles; Breast Pumps#box@90; Bibs=Bib#onesie; Sippy Cups;
    Bottle Warmers#box@25
Nursery & Bedding | pillow | - | 25 | Crib Sheets; Swaddles=Swaddle; Baby Blankets; Crib Mobiles=Crib Mobile#plush

== Electronics | 10
Cell Phones & Accessories | phone | - | 30 | Cell Phones & Smartphones=Smartphone@350;
    Cases & Covers=Phone Case@12; Chargers & Cables=Charger#cable@15; Screen Protectors=Screen Protector@8;
    Phone Grips & Stands=Phone Grip@10; Power Banks=Power Bank#box@25
Computers & Laptops | laptop | - | 400 | Laptops; Desktops=Desktop Computer#monitor@500; Monitors#monitor@150;
    Keyboards#keyboard@60; Computer Mice=Mouse#mouse@30; Routers#box@60;
    Hard Drives & Storage=External Hard Drive#box@60; Graphics Cards=Graphics Card#box@350
Tablets & eReaders | tablet | - | 220 | Tablets; eReaders; Tablet Cases=Tablet Case@20; Styluses=Stylus#pen@45
TV & Video | tv | - | 220 | Televisions=TV; Streaming Devices=Streaming Stick#cable@30; Projectors#camera@150;
    Blu-ray & DVD Players=Blu-ray Player#console@50
Video Games & Consoles | controller | - | 45 | Consoles#console@260; Video Games=Game#game_case@25; Controllers;
    Gaming Headsets=Gaming Headset#headphones@50; Handheld Consoles=Handheld Console#handheld@180;
    VR Headsets=VR Headset#box@250; Amiibo=Amiibo#figure@18
Headphones & Audio | headphones | - | 80 | Headphones; Earbuds#earbuds;
    Bluetooth Speakers=Bluetooth Speaker#speaker@60; Soundbars=Soundbar#speaker@120; Turntables#disc@150;
    Home Audio Receivers=Receiver#console@150
Cameras & Photography | camera | - | 250 | Digital Cameras; Mirrorless Cameras; DSLR Cameras; Film Cameras@90;
    Camera Lenses=Lens#lens@220; Instant Cameras@60; Drones=Drone#drone@300; Camera Bags=Camera Bag#backpack@40
Wearables | watch | - | 150 | Smartwatches; Fitness Trackers@60; Watch Bands=Watch Band@15
Smart Home | speaker | - | 45 | Smart Speakers; Security Cameras#camera@50; Smart Plugs=Smart Plug#box@15;
    Smart Lighting=Smart Bulb#lamp@25; Video Doorbells=Video Doorbell#phone@80

== Toys & Collectibles | 14
Action Figures & Statues | figure | - | 25 | Action Figures; Vinyl Figures; Statues & Busts=Statue@80;
    Anime Figures; Figure Bundles=Figure Lot@40
Building Toys | brick | - | 50 | Building Sets=Set; Minifigures=Minifigure#figure@8; Bulk Bricks=Bricks@30;
    Building Instructions=Instruction Manual#book@8; Magnetic Tiles=Magnetic Tiles@35
Dolls & Accessories | doll | - | 25 | Fashion Dolls; Baby Dolls; Dollhouses=Dollhouse#house@60;
    Doll Clothes=Doll Outfit#dress@10; Collectible Dolls@45
Stuffed Animals & Plush | plush | - | 20 | Plush Toys=Plush; Teddy Bears; Beanie Babies=Beanie Baby@10;
    Plush Keychains=Plush Keychain@10
Trading Cards | card | - | 20 | Pokemon Cards=Pokemon Card; Yu-Gi-Oh! Cards=Yu-Gi-Oh! Card;
    Magic: The Gathering Cards=MTG Card; Sports Trading Cards=Sports Card;
    Sealed Booster Boxes=Booster Box#box@120; Card Binders & Sleeves=Card Binder#book@15
Games & Puzzles | box | - | 25 | Board Games; Card Games#card@15; Jigsaw Puzzles; Strategy Games
Vehicles & RC | car | - | 35 | Diecast Cars@8; RC Cars@60; Model Trains#train@60; Toy Trucks
Baby & Toddler Toys | blocks | - | 20 | Learning Toys; Stacking Toys; Rattles & Teethers=Rattle#ball@8;
    Activity Gyms=Activity Gym#box@35; Ride-On Toys=Ride-On Toy#car@60
Outdoor & Sports Toys | ball | - | 25 | Water Guns=Water Gun#blaster; Foam Blasters=Blaster#blaster; Kites;
    Playground Balls; Bubble Machines#box@15
Collectible Pins & Figurines | figure | - | 18 | Enamel Pins#coin@10; Blind Boxes=Blind Box#box@15;
    Keychain Figures=Keychain Figure@8

== Home | 9
Kitchen & Dining | mug | - | 25 | Mugs; Dinnerware Sets=Dinnerware Set#bowl@60; Cookware#pan@70; Bakeware#pan@25;
    Tumblers & Water Bottles=Tumbler#bottle@25; Small Appliances=Appliance#box@60; Coffee Makers#box@60;
    Kitchen Utensils=Utensil Set#tool@15
Home Decor | frame | - | 25 | Candles#candle@18; Picture Frames; Wall Art; Vases#vase@25; Clocks#clock@30;
    Decorative Pillows#pillow@22; Mirrors#frame@45
Bedding | pillow | - | 40 | Comforters=Comforter; Sheet Sets=Sheet Set; Throw Blankets=Throw Blanket;
    Bed Pillows=Pillow; Duvet Covers=Duvet Cover; Quilts=Quilt
Bath | towel | - | 20 | Towels=Towel Set; Bath Mats=Bath Mat; Shower Curtains=Shower Curtain;
    Bath Accessories=Bath Accessory Set#bottle
Furniture | chair | - | 120 | Chairs; Tables#table; Bookshelves=Bookshelf#shelf; Storage Cabinets#shelf;
    Ottomans#box; Nightstands#table
Lighting | lamp | - | 40 | Table Lamps; Floor Lamps; String Lights=String Lights; Ceiling Lights
Storage & Organization | box | - | 20 | Baskets#basket; Storage Bins; Closet Organizers#shelf; Jewelry Boxes
Home Appliances | vacuum | - | 150 | Vacuums; Air Purifiers#box@90; Fans#fan@40; Humidifiers#vase@35
Seasonal Decor | ornament | - | 20 | Christmas Decor; Halloween Decor#candle; Ornaments; Easter Decor#vase

== Beauty | 9
Makeup | palette | - | 20 | Eyeshadow Palettes; Lipstick#lipstick@15; Lip Gloss#lipstick@12; Foundation#bottle@28;
    Concealer#lipstick@18; Mascara#lipstick@14; Blush#compact; Highlighters#compact; Setting Sprays#bottle@20;
    Eyeliner#pen@12
Skin Care | jar | - | 28 | Moisturizers; Serums#bottle; Cleansers#bottle; Face Masks; Sunscreen#bottle; Eye Creams
Fragrance | perfume | - | 55 | Women's Perfume=Perfume; Men's Cologne=Cologne; Body Mists=Body Mist#bottle@15;
    Rollerball Perfume@25; Fragrance Sets=Fragrance Set#box@60
Hair Care | bottle | - | 20 | Shampoo; Conditioner; Hair Styling Tools=Hair Dryer#hairdryer@80;
    Hair Treatments#jar; Wigs & Extensions=Wig#plush@40
Bath & Body | bottle | - | 15 | Body Lotion; Body Wash; Bath Bombs=Bath Bomb#ball@8; Hand Cream#jar@10
Nail Care | nail_polish | - | 10 | Nail Polish; Press-On Nails#compact@10; Nail Tools=Nail Kit#tool@12;
    Gel Polish Kits=Gel Polish Kit#box@30
Makeup Tools & Brushes | brush | - | 15 | Makeup Brushes=Makeup Brush Set; Beauty Sponges=Beauty Sponge#ball@8;
    Makeup Mirrors=Makeup Mirror#compact@30; Makeup Bags=Makeup Bag#wallet@20

== Sports & Outdoors | 6
Exercise & Fitness | dumbbell | - | 40 | Dumbbells; Yoga Mats=Yoga Mat#mat@30;
    Resistance Bands=Resistance Bands#cable@15; Kettlebells#kettlebell; Exercise Bikes=Exercise Bike#bike@250;
    Jump Ropes=Jump Rope#cable@12
Team Sports | ball | - | 30 | Basketballs=Basketball; Footballs=Football; Soccer Balls=Soccer Ball;
    Baseball & Softball=Baseball Glove#glove; Volleyball; Hockey=Hockey Stick#tool@50
Golf | golf | - | 80 | Golf Clubs=Golf Club; Golf Balls#ball@20; Golf Bags=Golf Bag#backpack@100;
    Golf Shoes#shoe@60%shoes_m; Golf Apparel=Golf Polo#shirt@30%men; Rangefinders=Rangefinder#camera@150
Camping & Hiking | tent | - | 50 | Tents; Sleeping Bags=Sleeping Bag#pillow@45;
    Hiking Backpacks=Hiking Backpack#backpack@70; Camping Stoves=Camping Stove#pan@40; Headlamps#lamp@20;
    Water Bottles#bottle@25
Cycling | bike | - | 200 | Bikes; Bike Helmets=Helmet#helmet@40; Cycling Apparel=Cycling Jersey#shirt@40%men;
    Bike Parts=Bike Part#tool@35; Bike Lights#lamp@20
Fishing | fishing | - | 40 | Fishing Rods; Fishing Reels#reel; Lures=Lure Lot#fish@15; Tackle Boxes#box@25
Fan Shop | shirt | men | 30 | Jerseys=Jersey; Fan Hats=Hat#hat@25%-; Fan Apparel=Tee; Memorabilia#card@40%-;
    Bobbleheads#figure@25%-
Skate & Scooters | skateboard | - | 60 | Skateboards; Scooters#scooter@70; Roller Skates#shoe@60%shoes_w;
    Protective Gear#helmet@25

== Vintage & Collectibles | 5
Antiques | vase | - | 60 | Ceramics#vase; Glassware#mug; Silverware#tool; Antique Clocks=Clock#clock;
    Antique Furniture=Chair#chair@150
Coins & Currency | coin | - | 40 | US Coins=Coin; World Coins=Coin; Bullion=Silver Round;
    Paper Money=Banknote#banknote@25; Coin Sets=Proof Set#box@40
Vintage Clothing | shirt | women | 40 | Vintage Tees=Tee; Vintage Jackets=Jacket#jacket@60;
    Vintage Dresses=Dress#dress@45; Vintage Denim=Jeans#pants%women_num; Vintage Sweaters=Sweater#sweater@40
Memorabilia | card | - | 30 | Autographs=Signed Photo; Movie Memorabilia=Movie Poster#frame;
    Music Memorabilia=Concert Poster#frame; Sports Memorabilia=Signed Ball#ball@60; Vintage Pins=Pin#coin@10
Vintage Toys | figure | - | 40 | Vintage Action Figures=Action Figure; Vintage Dolls=Doll#doll;
    Vintage Board Games=Board Game#box@30; Tin Toys=Tin Toy#car
Vintage Electronics | camera | - | 60 | Vintage Cameras=Camera; Radios=Radio#speaker;
    Retro Game Consoles=Console#console@120; Cassette Players=Walkman#handheld@50
Vintage Kitchenware | bowl | - | 25 | Vintage Dishes=Dish; Vintage Glassware=Glass#mug; Vintage Tins=Tin#box@15;
    Cookie Jars=Cookie Jar#jar@30
Postcards & Stamps | card | - | 12 | Postcards=Postcard Lot; Stamps=Stamp Lot

== Handmade | 3
Handmade Jewelry | necklace | - | 20 | Necklaces; Earrings=Earrings; Bracelets; Rings#ring
Handmade Accessories | wallet | - | 20 | Bags & Purses=Bag#handbag@35; Keychains=Keychain#ring@8;
    Hair Accessories=Scrunchie#ring@8; Pouches
Handmade Home | candle | - | 20 | Candles; Wood Signs=Wood Sign#frame@30; Wreaths=Wreath#ornament@40;
    Pottery=Pottery Mug#mug@28
Handmade Clothing | sweater | women | 25 | Knit Sweaters; Crochet Tops=Crochet Top#shirt;
    Baby Knits=Baby Sweater@20%baby; Knit Hats=Beanie#hat@18%-
Handmade Art | frame | - | 40 | Paintings=Painting; Prints=Art Print@20; Drawings=Drawing;
    Sculptures=Sculpture#figure@60
Handmade Toys | plush | - | 20 | Crochet Toys=Amigurumi; Plushies=Plushie; Wooden Toys=Wooden Toy#blocks

== Books | 4
Fiction | book | - | 10 | Literary Fiction=Novel; Mystery & Thriller=Thriller Novel; Romance=Romance Novel;
    Science Fiction & Fantasy=Fantasy Novel; Historical Fiction=Historical Novel; Horror=Horror Novel
Nonfiction | book | - | 12 | Biographies & Memoirs=Memoir; History=History Book; Self-Help=Self-Help Book;
    Cookbooks=Cookbook; Business=Business Book; Health & Fitness=Fitness Book
Children's Books | book | - | 8 | Picture Books=Picture Book; Board Books=Board Book; Chapter Books=Chapter Book;
    Young Adult=YA Novel
Textbooks & Education | book | - | 40 | College Textbooks=Textbook; Test Prep=Test Prep Book;
    Language Learning=Language Book; Workbooks=Workbook@10
Comics & Manga | book | - | 10 | Comic Books=Comic Book; Manga=Manga Volume; Graphic Novels=Graphic Novel
Book Lots & Sets | book | - | 30 | Book Lots=Book Lot; Box Sets=Box Set

== Movies & Music | 4
DVDs & Blu-ray | dvd | - | 10 | DVDs=DVD; Blu-ray Discs=Blu-ray; 4K Ultra HD=4K Blu-ray@18;
    TV Series Box Sets=Complete Series Box Set@30
Vinyl Records | disc | - | 25 | Rock Vinyl=Vinyl LP; Pop Vinyl=Vinyl LP; Hip Hop Vinyl=Vinyl LP;
    Jazz Vinyl=Vinyl LP; Soundtrack Vinyl=Vinyl LP; Country Vinyl=Vinyl LP
CDs & Cassettes | disc | - | 10 | Pop CDs=CD; Rock CDs=CD; K-Pop Albums=Album#box@25;
    Cassette Tapes=Cassette#cassette@12
Musical Instruments | guitar | - | 150 | Electric Guitars=Electric Guitar@250;
    Acoustic Guitars=Acoustic Guitar@200; Keyboards & Pianos=Keyboard#keyboard@150;
    Drums & Percussion=Drum#drum@120; Ukuleles=Ukulele@50; Amplifiers=Amp#speaker@120; Guitar Pedals=Pedal#box@70
DJ & Recording | console | - | 120 | DJ Controllers=DJ Controller; Microphones=Microphone#mic@60;
    Audio Interfaces=Audio Interface#box@90; Studio Headphones#headphones@80

== Pet Supplies | 3
Dog Supplies | bone | - | 20 | Dog Toys=Dog Toy; Dog Beds=Dog Bed#pillow@40; Collars & Leashes=Dog Collar#ring@15;
    Dog Apparel=Dog Sweater#sweater@15%pet; Dog Bowls=Dog Bowl#bowl@15; Dog Crates=Dog Crate#cage@50
Cat Supplies | yarn | - | 20 | Cat Toys=Cat Toy; Cat Trees=Cat Tree#shelf@60; Cat Beds=Cat Bed#pillow@25;
    Litter Boxes=Litter Box#box@25; Cat Scratchers=Cat Scratcher#box@20
Fish & Aquatic | aquarium | - | 40 | Aquariums; Aquarium Filters=Filter#box@25; Aquarium Decor=Decor Lot#plant@15
Small Animals | cage | - | 25 | Cages; Hideouts=Hideout#house@12; Water Bottles=Water Bottle#bottle@8
Bird Supplies | cage | - | 25 | Bird Cages; Bird Toys=Bird Toy#ring@10; Perches=Perch#tool@10

== Garden & Outdoor | 3
Plants & Seeds | plant | - | 15 | Houseplants=Houseplant; Succulents=Succulent; Seeds=Seed Packets#card@6;
    Planters & Pots=Planter#vase@20
Gardening Tools | tool | - | 25 | Hand Tools; Pruners; Garden Hoses=Garden Hose#cable@30;
    Watering Cans=Watering Can#mug@18; Power Tools=Power Tool#drill@90
Outdoor Decor | lamp | - | 30 | Solar Lights; Garden Statues=Garden Statue#figure; Wind Chimes#ornament@20;
    Bird Feeders#house@20
Patio Furniture | chair | - | 120 | Patio Chairs; Patio Tables=Patio Table#table;
    Outdoor Cushions=Outdoor Cushion#pillow@30; Patio Umbrellas=Patio Umbrella#tent@60
Grills & Outdoor Cooking | grill | - | 100 | Grills; Grill Tools=Grill Tool Set#tool@25; Smokers;
    Griddles=Griddle#pan@90

== Arts & Crafts | 4
Art Supplies | pen | - | 15 | Paint Sets#palette@20; Paint Brushes=Brush Set#brush; Markers=Marker Set;
    Sketchbooks=Sketchbook#book; Canvases=Canvas#frame; Colored Pencils=Colored Pencil Set
Sewing | yarn | - | 20 | Fabric=Fabric Bundle#towel; Sewing Machines=Sewing Machine#box@120;
    Sewing Patterns=Pattern#book@8; Notions=Notion Lot#box
Knitting & Crochet | yarn | - | 15 | Yarn; Knitting Needles#pen@12; Crochet Hooks=Crochet Hook Set#pen@10;
    Knitting Kits=Kit#box@25
Paper Crafts & Planners | book | - | 12 | Stickers=Sticker Sheet#card@6; Rubber Stamps=Stamp Set#box;
    Cardstock#card; Planners=Planner
Cutting Machines | box | - | 150 | Cutting Machines=Cutting Machine; Vinyl Rolls=Vinyl Roll Bundle#towel@20;
    Cutting Mats=Cutting Mat#mat@15
Office Supplies | pen | - | 15 | Pens & Pencils=Pen Set; Notebooks=Notebook#book;
    Desk Organizers=Desk Organizer#box; Calculators=Calculator#phone@20; Label Makers=Label Maker#box@30
Party Supplies | balloon | - | 12 | Balloons; Party Decorations=Party Decor#ornament; Gift Wrap=Gift Wrap#box
"""

# Brand groups: where a list of brands sells, as "c0", "c0/c1" or "c0/c1/c2" paths ("*" matches any name at that
# level). A brand may appear in several groups; within a group, earlier names are listed more often.
_WOMEN_WEAR = ("Women/Tops & Blouses; Women/Sweaters; Women/Coats & Jackets; Women/Dresses; Women/Pants; "
               "Women/Skirts; Women/Shorts; Women/Jeans")
_MEN_WEAR = "Men/Tops; Men/Sweats & Hoodies; Men/Coats & Jackets; Men/Pants; Men/Shorts; Men/Suits & Blazers"
_SNEAKERS = ("*/Shoes/Sneakers; */Shoes/Athletic Shoes; Men/Shoes/Basketball Shoes; Men/Shoes/Skate Shoes; "
             "Kids/Kids Shoes/Sneakers; Kids/Kids Shoes/Baby Shoes")
_KIDS_WEAR = "Kids/Girls Tops; Kids/Girls Dresses; Kids/Girls Bottoms; Kids/Boys Tops; Kids/Boys Bottoms"
BRAND_GROUPS: list[tuple[str, str]] = [
    (
        _WOMEN_WEAR,
        "Zara; H&M; Free People; Old Navy; Madewell; American Eagle; Gap; Anthropologie; J.Crew; Forever 21; "
        "Abercrombie & Fitch; Lululemon; Urban Outfitters; Banana Republic; Aritzia; Shein; Loft; Ann Taylor; "
        "Express; Hollister; Reformation; Torrid; Lulus; Princess Polly; Brandy Melville; Ralph Lauren; "
        "Tommy Hilfiger; Calvin Klein; Michael Kors; Guess; Eileen Fisher; Vince; Theory; Chico's; Talbots; "
        "White House Black Market; LC Lauren Conrad; Universal Thread; A New Day; Wild Fable; Lane Bryant; "
        "Fashion Nova; Skims; Patagonia; The North Face; Columbia; Lucky Brand; Kate Spade; Tory Burch; Good American",
    ),
    (
        "Women/Jeans; Men/Jeans; Vintage & Collectibles/Vintage Clothing/Vintage Denim",
        "Levi's; Wrangler; Agolde; Mother; Citizens of Humanity; Good American; Hudson; True Religion; "
        "Rock Revival; Silver Jeans; Diesel; 7 For All Mankind; Lee",
    ),
    (
        "Women/Athletic Apparel; Men/Athletic Apparel; Women/Pants/Leggings; Women/Pants/Joggers; "
        "Women/Pants/Yoga Pants; "
        "Women/Shorts/Athletic Shorts; Women/Shorts/Bike Shorts; Men/Shorts/Athletic Shorts; "
        "Sports & Outdoors/Exercise & Fitness/Yoga Mats",
        "Lululemon; Nike; Adidas; Under Armour; Athleta; Alo Yoga; Gymshark; Fabletics; Vuori; Outdoor Voices; "
        "Beyond Yoga; Puma; Reebok; Champion; Spanx; New Balance",
    ),
    (
        "Women/Swimwear; Women/Intimates & Sleepwear",
        "Victoria's Secret; Aerie; Skims; Natori; Hanky Panky; Calvin Klein; Kona Sol; Cupshe; Triangl; Billabong; "
        "Roxy; Lands' End",
    ),
    ("Women/Maternity", "Motherhood Maternity; Isabel Maternity; Ingrid & Isabel; Seraphine; Old Navy; H&M"),
    (
        "Women/Women's Handbags; Women/Women's Accessories/Wallets; Women/Women's Accessories/Keychains; "
        "Women/Women's Accessories/Scarves & Wraps; Women/Women's Accessories/Belts",
        "Coach; Michael Kors; Kate Spade; Louis Vuitton; Tory Burch; Gucci; Marc Jacobs; Prada; Chanel; "
        "Dooney & Bourke; Vera Bradley; Fossil; Longchamp; Rebecca Minkoff; Steve Madden; Fendi; "
        "Saint Laurent; Burberry; Dior; Hermès; Balenciaga; Celine; Bottega Veneta; Givenchy; MCM; Tumi; "
        "Telfar; Anne Klein; Nine West; Betsey Johnson; Loungefly",
    ),
    ("*/*/Sunglasses", "Ray-Ban; Oakley; Gucci; Prada; Quay; Costa; Maui Jim; Coach; Michael Kors; Warby Parker"),
    (
        "*/*/Watches",
        "Fossil; Casio; Seiko; Citizen; Timex; Invicta; Michael Kors; Tissot; Movado; Rolex; Omega; G-Shock; "
        "Nixon; Bulova",
    ),
    (
        "Men/Men's Accessories",
        "Carhartt; New Era; Ralph Lauren; Tommy Hilfiger; Fossil; Nike; Coach; Herschel; Vineyard Vines",
    ),
    (
        "Women/Jewelry; Handmade/Handmade Jewelry; Women/Women's Accessories/Hair Accessories",
        "Pandora; Kendra Scott; Tiffany & Co.; Alex and Ani; David Yurman; Swarovski; James Avery; Mejuri; "
        "Brighton; Monica Vinader; Cartier; Gorjana; Baublebar; Sterling Forever",
    ),
    (
        _SNEAKERS,
        "Nike; Adidas; Jordan; New Balance; Converse; Vans; Puma; Reebok; Asics; Hoka; Brooks; Saucony; On; "
        "Skechers; Allbirds; Veja; Golden Goose; Under Armour; Salomon",
    ),
    (
        "*/*/Boots; */*/Rain Boots; */Shoes/Slippers",
        "UGG; Dr. Martens; Timberland; Sorel; Hunter; Blundstone; Frye; Steve Madden; Sam Edelman; Clarks; Merrell",
    ),
    (
        "*/*/Sandals; Women/Shoes/Mules & Clogs; */Shoes/Slippers",
        "Birkenstock; Crocs; Teva; Chaco; Keen; UGG; Steve Madden; Sam Edelman; Dr. Martens; Toms",
    ),
    (
        "Women/Shoes/Heels; Women/Shoes/Flats; Women/Shoes/Loafers; Women/Shoes/Mules & Clogs",
        "Steve Madden; Sam Edelman; Christian Louboutin; Jimmy Choo; Stuart Weitzman; Tory Burch; Nine West; "
        "Naturalizer; Rothy's; Cole Haan; Vince Camuto; Franco Sarto",
    ),
    (
        "Men/Shoes/Loafers; Men/Shoes/Oxfords; Men/Shoes/Boots",
        "Cole Haan; Clarks; Sperry; Allen Edmonds; Johnston & Murphy; Florsheim; Timberland",
    ),
    (
        _MEN_WEAR,
        "Nike; Ralph Lauren; Adidas; Champion; Carhartt; The North Face; Patagonia; Tommy Hilfiger; Levi's; "
        "Columbia; Supreme; Essentials; Under Armour; Lacoste; Vineyard Vines; J.Crew; Banana Republic; "
        "Hugo Boss; Brooks Brothers; Bonobos; Southern Tide; Peter Millar; Stüssy; Bape; Palace; Off-White; Kith; "
        "Dickies; Arc'teryx; Canada Goose; Moncler; Stone Island; Barbour; Filson; L.L.Bean; Eddie Bauer; "
        "Pendleton; Harley-Davidson; Fred Perry; Ben Sherman; Quiksilver; Billabong; Hurley; RVCA; Volcom; "
        "O'Neill; Calvin Klein; Express; Hollister; American Eagle; Abercrombie & Fitch; Zara; H&M; Uniqlo; "
        "Goodfellow & Co; Old Navy; Gap",
    ),
    (
        _KIDS_WEAR,
        "Cat & Jack; Old Navy; Gap; The Children's Place; Carter's; Nike; Adidas; Disney; Janie and Jack; "
        "Hanna Andersson; Gymboree; Mini Boden; Tea Collection; Primary; Zara; H&M; Justice; Under Armour; Jordan",
    ),
    (
        "Kids/Baby Clothing",
        "Carter's; Cat & Jack; Old Navy; Gap; The Children's Place; OshKosh B'gosh; Little Me; Burt's Bees Baby; "
        "Gymboree; Janie and Jack; Hanna Andersson; Kyte Baby; Posh Peanut; Disney; Zara; H&M",
    ),
    (
        "Kids/Baby Gear; Kids/Feeding; Kids/Nursery & Bedding",
        "Graco; Chicco; UPPAbaby; Baby Jogger; Britax; Fisher-Price; Ergobaby; Nuna; Doona; Dr. Brown's; "
        "Philips Avent; Medela; Spectra; Skip Hop; Halo; Aden + Anais; Munchkin; Tommee Tippee; Owlet; "
        "Nanit; Boppy; 4moms; Baby Bjorn",
    ),
    (
        "Electronics/Cell Phones & Accessories",
        "Apple; Samsung; Google; Motorola; OnePlus; LG",
    ),
    (
        "Electronics/Cell Phones & Accessories/Cases & Covers; "
        "Electronics/Cell Phones & Accessories/Screen Protectors; "
        "Electronics/Cell Phones & Accessories/Phone Grips & Stands; Electronics/Tablets & eReaders/Tablet Cases",
        "OtterBox; PopSockets; Casetify; ZAGG; Spigen; Speck; Lifeproof; Kate Spade; Sonix; Loungefly",
    ),
    (
        "Electronics/Cell Phones & Accessories/Chargers & Cables; Electronics/Cell Phones & Accessories/Power Banks",
        "Anker; Belkin; Mophie; Apple; Samsung; Ugreen",
    ),
    (
        "Electronics/Computers & Laptops/Laptops; Electronics/Computers & Laptops/Desktops; "
        "Electronics/Computers & Laptops/Monitors",
        "Apple; Dell; HP; Lenovo; Microsoft; Asus; Acer; Samsung; MSI; Alienware; LG; Razer; Google",
    ),
    (
        "Electronics/Computers & Laptops/Keyboards; Electronics/Computers & Laptops/Computer Mice",
        "Logitech; Razer; Corsair; SteelSeries; Keychron; Apple; Microsoft; HyperX",
    ),
    ("Electronics/Computers & Laptops/Hard Drives & Storage", "Western Digital; Seagate; SanDisk; Samsung; Crucial"),
    ("Electronics/Computers & Laptops/Routers", "Netgear; TP-Link; Google; Asus; Eero; Linksys"),
    ("Electronics/Computers & Laptops/Graphics Cards", "Nvidia; AMD; Asus; MSI; Gigabyte; EVGA; Zotac"),
    (
        "Electronics/Tablets & eReaders/Tablets; Electronics/Tablets & eReaders/eReaders; "
        "Electronics/Tablets & eReaders/Styluses",
        "Apple; Samsung; Amazon; Microsoft; Lenovo; Kobo; reMarkable",
    ),
    ("Electronics/TV & Video", "Samsung; LG; Sony; TCL; Vizio; Hisense; Roku; Amazon; Apple; Google; Epson; Panasonic"),
    (
        "Electronics/Video Games & Consoles/Consoles; Electronics/Video Games & Consoles/Video Games; "
        "Electronics/Video Games & Consoles/Handheld Consoles; Electronics/Video Games & Consoles/Controllers; "
        "Electronics/Video Games & Consoles/VR Headsets",
        "Nintendo; Sony; Microsoft; Valve; Meta; Sega",
    ),
    ("Electronics/Video Games & Consoles/Amiibo", "Nintendo"),
    (
        "Electronics/Video Games & Consoles/Controllers; Electronics/Video Games & Consoles/Gaming Headsets",
        "Turtle Beach; Razer; HyperX; SteelSeries; Logitech; 8BitDo; PowerA; Astro; Corsair; Sony; Microsoft",
    ),
    (
        "Electronics/Headphones & Audio",
        "Apple; Beats; Bose; Sony; JBL; Sennheiser; Audio-Technica; Skullcandy; Samsung; Sonos; Marshall; "
        "Jabra; Anker; Bang & Olufsen; Crosley; Technics; Pioneer; Ultimate Ears; Yamaha",
    ),
    (
        "Electronics/Cameras & Photography",
        "Canon; Nikon; Sony; Fujifilm; Polaroid; GoPro; DJI; Olympus; Panasonic; Kodak; Leica; Sigma; "
        "Tamron; Pentax; Minolta",
    ),
    ("Electronics/Wearables", "Apple; Samsung; Garmin; Fitbit; Google; Whoop; Amazfit; Oura"),
    ("Electronics/Smart Home", "Amazon; Google; Ring; Philips; Wyze; Arlo; Eufy; Kasa; Sonos; Apple; Nanoleaf; Govee"),
    (
        "Toys & Collectibles/Action Figures & Statues; Toys & Collectibles/Collectible Pins & Figurines",
        "Funko; Hasbro; Marvel; Star Wars; McFarlane Toys; NECA; Hot Toys; Bandai; Good Smile Company; "
        "Banpresto; Kotobukiya; Mattel; Transformers; Disney; Pokemon; Pop Mart; Sonny Angel; Loungefly; "
        "Super7; Mezco; Jada Toys; Tokidoki; Sanrio; Hello Kitty",
    ),
    ("Toys & Collectibles/Building Toys", "LEGO; Mega; Magna-Tiles; K'NEX; Playmobil; Duplo; Nanoblock; Picasso Tiles"),
    (
        "Toys & Collectibles/Dolls & Accessories; Vintage & Collectibles/Vintage Toys/Vintage Dolls",
        "Barbie; American Girl; L.O.L. Surprise!; Monster High; Rainbow High; Polly Pocket; Bratz; Cabbage Patch Kids; "
        "Madame Alexander; Corolle; Our Generation; Calico Critters; Disney; My Little Pony; Mattel",
    ),
    (
        "Toys & Collectibles/Stuffed Animals & Plush; Handmade/Handmade Toys",
        "Squishmallows; Jellycat; Ty; Build-A-Bear; Disney; Pokemon; Sanrio; Hello Kitty; Gund; Care Bears; "
        "Steiff; Aurora; Sonny Angel",
    ),
    ("Toys & Collectibles/Trading Cards/Pokemon Cards", "Pokemon"),
    ("Toys & Collectibles/Trading Cards/Yu-Gi-Oh! Cards", "Konami"),
    ("Toys & Collectibles/Trading Cards/Magic: The Gathering Cards", "Wizards of the Coast"),
    (
        "Toys & Collectibles/Trading Cards/Sports Trading Cards",
        "Topps; Panini; Upper Deck; Bowman; Donruss; Fleer; Leaf; Score",
    ),
    (
        "Toys & Collectibles/Trading Cards/Sealed Booster Boxes; "
        "Toys & Collectibles/Trading Cards/Card Binders & Sleeves",
        "Pokemon; Wizards of the Coast; Konami; Topps; Panini; Bandai; Disney Lorcana; One Piece Card Game; "
        "Ultra Pro; Dragon Shield",
    ),
    (
        "Toys & Collectibles/Games & Puzzles; Vintage & Collectibles/Vintage Toys/Vintage Board Games",
        "Hasbro; Ravensburger; Mattel; Milton Bradley; Parker Brothers; Cardinal; Buffalo Games; Exploding Kittens; "
        "Catan; Asmodee; Games Workshop; White Mountain; Springbok",
    ),
    (
        "Toys & Collectibles/Vehicles & RC; Vintage & Collectibles/Vintage Toys/Tin Toys",
        "Hot Wheels; Matchbox; Traxxas; Lionel; Tonka; Bruder; Maisto; Paw Patrol; Jada Toys; Bachmann",
    ),
    (
        "Toys & Collectibles/Outdoor & Sports Toys",
        "Nerf; Super Soaker; Little Tikes; Step2; Radio Flyer; Gazillion; Wham-O",
    ),
    (
        "Toys & Collectibles/Baby & Toddler Toys",
        "Fisher-Price; VTech; LeapFrog; Melissa & Doug; Hape; Lovevery; Green Toys; Little Tikes; Skip Hop; "
        "Baby Einstein; Munchkin",
    ),
    (
        "Home/Kitchen & Dining",
        "Stanley; Yeti; Rae Dunn; Le Creuset; Pyrex; KitchenAid; Hydro Flask; Ninja; Instant Pot; Cuisinart; "
        "Keurig; Nespresso; Lodge; Staub; Owala; Contigo; Simple Modern; Vitamix; Breville; De'Longhi; Smeg; "
        "All-Clad; Calphalon; Hamilton Beach; Corelle; Tupperware; Lenox; Mikasa; Williams Sonoma; Starbucks",
    ),
    (
        "Vintage & Collectibles/Vintage Kitchenware; Vintage & Collectibles/Antiques",
        "Pyrex; Fire-King; Corningware; Fiesta; Anchor Hocking; Lenox; Waterford; Franciscan; Jadeite; Starbucks",
    ),
    (
        "Home/Furniture; Home/Home Decor; Home/Lighting; Home/Storage & Organization; Home/Bath; Home/Bedding",
        "IKEA; Pottery Barn; West Elm; Crate & Barrel; Threshold; Hearth & Hand; Restoration Hardware; "
        "Studio McGee; Umbra; Jonathan Adler; Wayfair; Target",
    ),
    (
        "Home/Bedding; Home/Bath",
        "Brooklinen; Parachute; Casper; Laura Ashley; Nautica; Pendleton; Ralph Lauren; Barefoot Dreams; "
        "Kate Spade; Tempur-Pedic; Bearaby",
    ),
    (
        "Home/Home Decor; Home/Seasonal Decor",
        "Bath & Body Works; Yankee Candle; Voluspa; Anthropologie; Rae Dunn; Department 56; Hallmark; "
        "Christopher Radko; Capri Blue",
    ),
    ("Home/Lighting", "Nanoleaf; Govee; Philips"),
    ("Home/Storage & Organization", "The Container Store; Sterilite; Mainstays"),
    (
        "Home/Home Appliances",
        "Dyson; Shark; iRobot; Bissell; Hoover; Levoit; Honeywell; Vornado; Coway; Eureka; Black+Decker",
    ),
    (
        "Beauty/Makeup; Beauty/Makeup Tools & Brushes",
        "Sephora; Ulta Beauty; MAC; NARS; Urban Decay; Too Faced; Anastasia Beverly Hills; Huda Beauty; "
        "Fenty Beauty; Rare Beauty; Charlotte Tilbury; Benefit; Tarte; Morphe; ColourPop; e.l.f.; Maybelline; "
        "L'Oreal; NYX; Clinique; Estee Lauder; Lancome; Dior; Chanel; Glossier; Kylie Cosmetics; IT Cosmetics; "
        "Beautyblender; Real Techniques; Sigma Beauty",
    ),
    (
        "Beauty/Skin Care; Beauty/Bath & Body",
        "Drunk Elephant; The Ordinary; CeraVe; La Roche-Posay; Tatcha; Sunday Riley; Kiehl's; Supergoop!; "
        "Paula's Choice; Farmacy; Fresh; Origins; Lush; Sol de Janeiro; Neutrogena; Olay; First Aid Beauty; "
        "Youth To The People; Glow Recipe; Bubble; Cosrx; Clarins; Clinique; Estee Lauder; Laneige; "
        "Summer Fridays; Glossier; Bath & Body Works; Victoria's Secret",
    ),
    (
        "Beauty/Fragrance",
        "Chanel; Dior; Yves Saint Laurent; Marc Jacobs; Viktor&Rolf; Versace; Gucci; Tom Ford; Creed; Le Labo; "
        "Maison Margiela; Carolina Herrera; Ariana Grande; Jo Malone; Giorgio Armani; Burberry; Prada; "
        "Valentino; Dolce & Gabbana; Paco Rabanne; Calvin Klein; Juicy Couture; Sol de Janeiro; Kayali; "
        "Glossier; Billie Eilish; Bath & Body Works; Victoria's Secret",
    ),
    (
        "Beauty/Hair Care",
        "Dyson; Olaplex; Moroccanoil; Briogeo; Ouai; Living Proof; T3; Chi; Bio Ionic; Amika; Redken; "
        "Paul Mitchell; Kenra; Shark; Revlon; Conair; Mielle; K18",
    ),
    ("Beauty/Nail Care", "OPI; Essie; Sally Hansen; Olive & June; Kiss; Gelish; Dashing Diva; Orly"),
    (
        "Sports & Outdoors/Team Sports",
        "Wilson; Spalding; Rawlings; Easton; Mizuno; Franklin; Under Armour; Nike; Adidas; Bauer; CCM; "
        "Louisville Slugger; Marucci; Molten",
    ),
    (
        "Sports & Outdoors/Exercise & Fitness",
        "Bowflex; Peloton; NordicTrack; Manduka; Gaiam; CAP Barbell; Rogue; Theragun; Hydrow; Schwinn; "
        "Amazon Basics; Fitbit",
    ),
    (
        "Sports & Outdoors/Golf",
        "Callaway; TaylorMade; Titleist; Ping; Cobra; FootJoy; Mizuno; Cleveland; Odyssey; Bushnell; Sun Mountain; "
        "Nike",
    ),
    (
        "Sports & Outdoors/Camping & Hiking",
        "Yeti; Coleman; REI Co-op; Osprey; Kelty; Black Diamond; Big Agnes; MSR; The North Face; Patagonia; "
        "Hydro Flask; Nalgene; Jetboil; Petzl; Stanley; Therm-a-Rest; Gregory; Solo Stove",
    ),
    (
        "Sports & Outdoors/Cycling",
        "Trek; Specialized; Giant; Cannondale; Schwinn; Shimano; Giro; Bell; Santa Cruz; Kona; Huffy; Rad Power Bikes",
    ),
    (
        "Sports & Outdoors/Fishing",
        "Penn; Shakespeare; Ugly Stik; Abu Garcia; Rapala; Zebco; Shimano; Daiwa; St. Croix; Berkley; Plano",
    ),
    (
        "Sports & Outdoors/Fan Shop; Vintage & Collectibles/Memorabilia/Sports Memorabilia",
        "Fanatics; Mitchell & Ness; New Era; '47; Nike; Majestic; Adidas; Under Armour; Starter; Funko",
    ),
    (
        "Sports & Outdoors/Skate & Scooters",
        "Element; Santa Cruz; Powell Peralta; Razor; Impala; Moxi; Rollerblade; Baker; Girl; Globe; Segway; "
        "Triple Eight",
    ),
    (
        "Vintage & Collectibles/Antiques; Vintage & Collectibles/Memorabilia",
        "Disney; Coca-Cola; Harley-Davidson; Hallmark; Zippo; Royal Doulton; Lladro; Hummel; Precious Moments; "
        "Franklin Mint; Longaberger; Avon; Holt Howard",
    ),
    ("Vintage & Collectibles/Vintage Toys", "Kenner; Hasbro; Mattel; Fisher-Price; Tonka; Playskool; Tomy"),
    ("Vintage & Collectibles/Coins & Currency", "US Mint; Royal Canadian Mint; Perth Mint; PCGS; NGC; APMEX"),
    (
        "Vintage & Collectibles/Vintage Clothing",
        "Levi's; Harley-Davidson; Champion; Starter; Nike; Adidas; Ralph Lauren; Tommy Hilfiger; Carhartt; "
        "Pendleton; Wrangler; Disney; Nascar; Hanes; Fruit of the Loom",
    ),
    ("Vintage & Collectibles/Vintage Electronics/Retro Game Consoles", "Nintendo; Sega; Atari; Sony; NEC"),
    (
        "Vintage & Collectibles/Vintage Electronics/Vintage Cameras",
        "Polaroid; Kodak; Canon; Nikon; Pentax; Minolta; Olympus",
    ),
    (
        "Vintage & Collectibles/Vintage Electronics/Radios; "
        "Vintage & Collectibles/Vintage Electronics/Cassette Players",
        "Sony; Panasonic; Sanyo; GE; Zenith; Realistic",
    ),
    (
        "Books/Fiction; Books/Nonfiction; Books/Book Lots & Sets",
        "Penguin Random House; HarperCollins; Simon & Schuster; Macmillan; Hachette; Vintage Books; Taschen; "
        "Folio Society",
    ),
    (
        "Books/Children's Books; Books/Book Lots & Sets",
        "Scholastic; Usborne; Little Golden Books; Dr. Seuss; Disney; Penguin Random House",
    ),
    ("Books/Textbooks & Education", "Pearson; McGraw Hill; Cengage; Wiley; Kaplan; Barron's; Princeton Review"),
    (
        "Books/Comics & Manga; Books/Book Lots & Sets",
        "Marvel; DC Comics; Viz Media; Yen Press; Kodansha; Image Comics; Dark Horse; Seven Seas; Scholastic; "
        "Boom! Studios",
    ),
    (
        "Movies & Music/DVDs & Blu-ray",
        "Disney; Criterion Collection; Warner Bros.; Universal; Marvel; Paramount; Sony Pictures; Lionsgate; "
        "Studio Ghibli; Pixar; A24",
    ),
    (
        "Movies & Music/Vinyl Records; Movies & Music/CDs & Cassettes",
        "Taylor Swift; BTS; Harry Styles; The Beatles; Fleetwood Mac; Pink Floyd; Metallica; Nirvana; "
        "Kendrick Lamar; Billie Eilish; Olivia Rodrigo; Lana Del Rey; SZA; Stray Kids; Blackpink; Twice; "
        "Seventeen; Tyler, the Creator; Frank Ocean; Radiohead; Led Zeppelin; Queen; Michael Jackson; "
        "Beyonce; Drake; Morgan Wallen; Zach Bryan; Sabrina Carpenter; Newjeans; Enhypen; Mitski; Phoebe Bridgers",
    ),
    (
        "Movies & Music/Musical Instruments",
        "Fender; Gibson; Yamaha; Epiphone; Squier; Ibanez; Taylor; Martin; Roland; Korg; Casio; Pearl; Zildjian; "
        "Marshall; Boss; PRS; Orange; Kala; Ludwig",
    ),
    (
        "Movies & Music/DJ & Recording",
        "Pioneer DJ; Native Instruments; Focusrite; Audio-Technica; Shure; Rode; Akai; Behringer; Numark; "
        "Sennheiser; Roland",
    ),
    (
        "Pet Supplies/Dog Supplies",
        "Kong; Frisco; PetSafe; Petmate; Nylabone; BarkBox; Ruffwear; Kurgo; Outward Hound; Chuckit!; Wild One; "
        "Midwest; Furhaven; Yeti",
    ),
    ("Pet Supplies/Cat Supplies", "Frisco; Catit; PetSafe; Petmate; Furhaven; Litter-Robot; SmartyKat"),
    ("Pet Supplies/Fish & Aquatic", "Tetra; Fluval; Aqueon; Marineland; API"),
    ("Pet Supplies/Small Animals; Pet Supplies/Bird Supplies", "Kaytee; Oxbow; Midwest; Prevue; Living World"),
    ("Garden & Outdoor/Plants & Seeds", "Scotts; Miracle-Gro; Burpee; Costa Farms; Bloomscape"),
    (
        "Garden & Outdoor/Gardening Tools",
        "Fiskars; Gardena; Ryobi; DeWalt; Black+Decker; Craftsman; Milwaukee; Makita; Greenworks; Flexzilla; Ego",
    ),
    (
        "Garden & Outdoor/Outdoor Decor; Garden & Outdoor/Patio Furniture",
        "Polywood; Hampton Bay; Costway; Sunjoy; Brightech",
    ),
    (
        "Garden & Outdoor/Grills & Outdoor Cooking",
        "Weber; Traeger; Char-Broil; Blackstone; Big Green Egg; Solo Stove; Pit Boss; Ninja; Cuisinart",
    ),
    (
        "Arts & Crafts/Art Supplies; Arts & Crafts/Office Supplies",
        "Crayola; Prismacolor; Copic; Winsor & Newton; Liquitex; Faber-Castell; Sakura; Staedtler; Sharpie; "
        "Arteza; Tombow; Pilot; Paper Mate",
    ),
    ("Arts & Crafts/Office Supplies", "Texas Instruments; Post-it; Moleskine; Five Star; Brother; Casio"),
    (
        "Arts & Crafts/Sewing; Arts & Crafts/Knitting & Crochet",
        "Singer; Brother; Janome; Lion Brand; Red Heart; Bernat; Boye; Clover; Fiskars",
    ),
    (
        "Arts & Crafts/Paper Crafts & Planners",
        "Happy Planner; Erin Condren; Moleskine; Leuchtturm1917; Recollections; Martha Stewart; Tim Holtz; "
        "Stampin' Up!",
    ),
    ("Arts & Crafts/Cutting Machines", "Cricut; Silhouette; Siser; Sizzix; Brother"),
    ("Arts & Crafts/Party Supplies", "Hallmark; Martha Stewart; Amscan; Meri Meri"),
]

# Brands whose listings cost more (or less) than the category's base price.
BRAND_PREMIUM: dict[str, float] = {
    **dict.fromkeys(
        "Louis Vuitton; Gucci; Prada; Chanel; Hermès; Dior; Saint Laurent; Balenciaga; Burberry; Fendi; Celine; "
        "Bottega Veneta; Givenchy; Cartier; Rolex; Omega; Christian Louboutin; Jimmy Choo; Moncler; Canada Goose; "
        "Tiffany & Co.; David Yurman; Leica; Golden Goose; Stone Island; Off-White; Creed; Le Labo; Tom Ford; "
        "Bang & Olufsen; Restoration Hardware; Big Green Egg; Peloton; Hydrow; Nuna; Doona; UPPAbaby; Vitamix; "
        "Smeg; All-Clad; Gibson; PRS; Martin; Taylor; Hot Toys".split("; "),
        4.0,
    ),
    **dict.fromkeys(
        "Coach; Kate Spade; Michael Kors; Tory Burch; Marc Jacobs; Apple; Lululemon; Dyson; Le Creuset; Staub; "
        "Arc'teryx; Patagonia; Supreme; Bape; Palace; Kith; Essentials; Jordan; Stuart Weitzman; Frye; Reformation; "
        "Aritzia; Alo Yoga; Vuori; Agolde; Mother; Citizens of Humanity; Hugo Boss; Barbour; Filson; Sonos; Bose; "
        "Sennheiser; Canon; Nikon; Fujifilm; Sony; DJI; Garmin; Traeger; Yeti; Osprey; Specialized; Trek; "
        "Cannondale; Callaway; TaylorMade; Titleist; Ping; Fender; Charlotte Tilbury; Drunk Elephant; Tatcha; "
        "Jellycat; American Girl; LEGO; Pottery Barn; West Elm; Crate & Barrel; Williams Sonoma; Brooklinen; "
        "Parachute; Barefoot Dreams; Kendra Scott; Pandora; Mejuri; Longchamp; MCM; Tumi; Dr. Martens; UGG; "
        "Hoka; On; Salomon; Criterion Collection; Studio Ghibli; Owlet; Nanit; Ergobaby; Britax; Rad Power Bikes; "
        "Theragun; Rogue; Bowflex; Breville; KitchenAid; Nespresso; Solo Stove; Cricut; Copic; Moleskine".split("; "),
        1.8,
    ),
    **dict.fromkeys(
        "Shein; Forever 21; Old Navy; Cat & Jack; Universal Thread; A New Day; Wild Fable; Goodfellow & Co; "
        "Threshold; e.l.f.; ColourPop; NYX; Maybelline; Wet n Wild; Frisco; Hanes; Fruit of the Loom; Cupshe; "
        "Justice; Ty; Hallmark; Crayola; Red Heart; Recollections; Costway; Huffy; Zebco".split("; "),
        0.6,
    ),
}

# Product lines used in titles, keyed by brand then by the leaf's shape ("*" for any shape).
BRAND_LINES: dict[str, dict[str, list[str]]] = {
    "Apple": {
        "phone": ["iPhone 11", "iPhone 12", "iPhone 12 Pro", "iPhone 13", "iPhone 13 Pro Max", "iPhone 14",
                  "iPhone 14 Pro", "iPhone 15", "iPhone 15 Pro Max", "iPhone SE"],
        "laptop": ["MacBook Air M1", "MacBook Air M2", "MacBook Pro 14\"", "MacBook Pro 16\"", "MacBook Pro 13\""],
        "tablet": ["iPad 9th Gen", "iPad Air", "iPad Pro 11\"", "iPad mini 6", "iPad 10th Gen"],
        "watch": ["Apple Watch Series 7", "Apple Watch SE", "Apple Watch Series 9", "Apple Watch Ultra"],
        "headphones": ["AirPods Pro", "AirPods Max", "AirPods 3rd Gen"],
        "earbuds": ["AirPods Pro 2", "AirPods 2nd Gen", "AirPods 3rd Gen"],
        "pen": ["Apple Pencil 2nd Gen", "Apple Pencil"],
        "cable": ["MagSafe", "USB-C", "Lightning"],
        "keyboard": ["Magic Keyboard"], "mouse": ["Magic Mouse"],
    },
    "Samsung": {
        "phone": ["Galaxy S21", "Galaxy S22 Ultra", "Galaxy S23", "Galaxy S24", "Galaxy A54", "Galaxy Z Flip 5",
                  "Galaxy Z Fold 4"],
        "tablet": ["Galaxy Tab S8", "Galaxy Tab A8", "Galaxy Tab S9"],
        "watch": ["Galaxy Watch 5", "Galaxy Watch 6", "Galaxy Watch 4"],
        "earbuds": ["Galaxy Buds 2", "Galaxy Buds Pro"],
        "tv": ["Crystal UHD 55\"", "QLED 65\"", "Frame TV 50\""],
    },
    "Google": {"phone": ["Pixel 6", "Pixel 7", "Pixel 7a", "Pixel 8 Pro", "Pixel 8"],
               "speaker": ["Nest Mini", "Nest Hub", "Nest Audio"], "watch": ["Pixel Watch"]},
    "Nike": {
        "shoe": ["Air Force 1", "Air Max 90", "Dunk Low", "Air Max 270", "Blazer Mid '77", "Pegasus 40",
                 "Air Jordan 1", "Cortez", "Vomero 5", "Free Run"],
        "shirt": ["Dri-FIT", "Sportswear", "Pro", "Swoosh"],
        "sweater": ["Tech Fleece", "Club Fleece", "Phoenix Fleece"],
        "jacket": ["Windrunner", "Tech Fleece", "Storm-FIT"], "pants": ["Tech Fleece", "Pro", "Club"],
        "shorts": ["Dri-FIT", "Pro", "Tempo"],
    },
    "Jordan": {"shoe": ["Air Jordan 1 Mid", "Air Jordan 1 High OG", "Air Jordan 4 Retro", "Air Jordan 11 Retro",
                        "Air Jordan 3", "Jumpman"], "*": ["Jumpman", "Flight"]},
    "Adidas": {"shoe": ["Samba OG", "Gazelle", "Ultraboost", "Stan Smith", "Superstar", "Yeezy Boost 350",
                        "Campus 00s", "Forum Low"],
               "*": ["Originals", "Trefoil", "Three Stripe", "Adicolor"]},
    "New Balance": {"shoe": ["550", "574", "990v5", "9060", "530", "2002R", "327", "Fresh Foam 1080"]},
    "Converse": {"shoe": ["Chuck Taylor All Star", "Chuck 70", "Run Star Hike", "One Star"]},
    "Vans": {"shoe": ["Old Skool", "Sk8-Hi", "Authentic", "Slip-On", "Era", "Knu Skool"]},
    "UGG": {"boot": ["Classic Mini", "Classic Ultra Mini", "Tasman", "Tazz", "Classic Tall"],
            "shoe": ["Tasman", "Disquette", "Coquette"]},
    "Dr. Martens": {"boot": ["1460", "Jadon", "Chelsea 2976", "1461", "Sinclair"], "shoe": ["1461", "Adrian"]},
    "Birkenstock": {"shoe": ["Arizona", "Boston Clog", "Gizeh", "Mayari"]},
    "Crocs": {"shoe": ["Classic Clog", "Echo Clog", "Crush Clog", "Mellow Slide"]},
    "Hoka": {"shoe": ["Clifton 9", "Bondi 8", "Mach 5", "Speedgoat 5"]},
    "On": {"shoe": ["Cloud 5", "Cloudmonster", "Cloudswift", "Cloudnova"]},
    "Lululemon": {
        "pants": ["Align 25\"", "Align 28\"", "Wunder Train", "Dance Studio", "Scuba", "ABC", "Fast and Free"],
        "shirt": ["Swiftly Tech", "Define", "Align Tank", "Energy", "Metal Vent Tech"],
        "sweater": ["Scuba Oversized Half-Zip", "Define", "Scuba Hoodie"], "jacket": ["Define", "Down for It All"],
        "shorts": ["Hotty Hot", "Speed Up", "Pace Breaker", "T.H.E."], "skirt": ["Pace Rival", "Hotty Hot"],
        "mat": ["The Mat 5mm", "Reversible Mat"], "backpack": ["Everywhere Belt Bag", "City Adventurer"],
    },
    "Alo Yoga": {"pants": ["Airlift", "Airbrush", "Accolade"], "shirt": ["Alosoft", "Airbrush"]},
    "The North Face": {"jacket": ["Nuptse 1996", "Denali", "ThermoBall", "Venture 2", "McMurdo", "Osito"],
                       "backpack": ["Borealis", "Jester", "Recon"], "*": ["Half Dome", "Box Logo"]},
    "Patagonia": {"jacket": ["Better Sweater", "Nano Puff", "Retro-X", "Torrentshell", "Down Sweater"],
                  "sweater": ["Synchilla Snap-T", "Better Sweater 1/4 Zip"], "shorts": ["Baggies"],
                  "*": ["P-6 Logo", "Synchilla"]},
    "Levi's": {"pants": ["501", "505", "511 Slim", "550 Relaxed", "Ribcage", "Wedgie", "724 High Rise",
                         "Baggy Dad"], "jacket": ["Trucker", "Sherpa Trucker"], "shorts": ["501", "Ribcage"],
               "*": ["Batwing", "Red Tab"]},
    "Coach": {"handbag": ["Tabby 26", "Willow", "Pillow Tabby", "Cassie 19", "Rogue", "Swinger", "Court",
                          "Signature Canvas"], "wallet": ["Snap Wallet", "Corner Zip Wristlet", "Long Zip"],
              "backpack": ["Charter", "Court"]},
    "Louis Vuitton": {"handbag": ["Neverfull MM", "Speedy 30", "Pochette Metis", "OnTheGo", "Alma BB",
                                  "Favorite MM", "Multi Pochette"], "wallet": ["Zippy Wallet", "Victorine"],
                      "*": ["Monogram", "Damier Ebene"]},
    "Kate Spade": {"handbag": ["Knott", "Spencer", "Morgan", "Staci"], "wallet": ["Spencer", "Staci"],
                   "phone": ["Glitter", "Floral", "Spade Flower"]},
    "Michael Kors": {"handbag": ["Jet Set", "Mercer", "Selma", "Voyager"], "watch": ["Parker", "Runway", "Lexington"]},
    "Gucci": {"handbag": ["Marmont", "Dionysus", "Jackie 1961", "Ophidia", "Horsebit 1955"],
              "wallet": ["GG Supreme", "Web Stripe", "Marmont"], "perfume": ["Bloom", "Guilty", "Flora"]},
    "Chanel": {"handbag": ["Classic Flap", "Boy Bag", "WOC", "Deauville"], "perfume": ["No. 5", "Coco Mademoiselle",
                                                                                      "Chance", "Bleu de Chanel"]},
    "Tory Burch": {"handbag": ["Kira", "Fleming", "Ella Tote", "Lee Radziwill"], "shoe": ["Miller", "Ballet Flat"]},
    "Sony": {"headphones": ["WH-1000XM4", "WH-1000XM5", "WH-CH720N"], "earbuds": ["WF-1000XM4", "WF-1000XM5"],
             "console": ["PlayStation 5", "PS5 Slim", "PlayStation 4 Pro", "PS4 Slim", "PlayStation 2"],
             "controller": ["DualSense", "DualShock 4", "DualSense Edge"], "game_case": ["PS5", "PS4"],
             "camera": ["Alpha a6400", "Alpha a7 III", "ZV-1", "Cyber-shot"], "tv": ["Bravia 55\"", "Bravia 65\""],
             "handheld": ["PSP", "PS Vita", "Walkman"]},
    "Nintendo": {"console": ["Switch OLED", "Switch", "Wii U", "Wii", "GameCube", "N64", "SNES"],
                 "handheld": ["Switch Lite", "3DS XL", "Game Boy Advance", "Game Boy Color", "DS Lite"],
                 "controller": ["Joy-Con", "Switch Pro Controller", "GameCube Controller"],
                 "game_case": ["Switch", "3DS", "Wii"], "figure": ["Amiibo Link", "Amiibo Mario", "Amiibo Kirby"]},
    "Microsoft": {"console": ["Xbox Series X", "Xbox Series S", "Xbox One X", "Xbox 360"],
                  "controller": ["Xbox Wireless", "Xbox Elite Series 2"], "game_case": ["Xbox Series X", "Xbox One"],
                  "laptop": ["Surface Laptop 5", "Surface Pro 9", "Surface Go 3"], "tablet": ["Surface Pro 8"]},
    "Valve": {"handheld": ["Steam Deck 512GB", "Steam Deck OLED", "Steam Deck 64GB"]},
    "Meta": {"box": ["Quest 2", "Quest 3", "Quest Pro"]},
    "Bose": {"headphones": ["QuietComfort 45", "QuietComfort Ultra", "700"], "earbuds": ["QuietComfort Earbuds II"],
             "speaker": ["SoundLink Flex", "SoundLink Revolve+", "Smart Soundbar 600"]},
    "Beats": {"headphones": ["Studio Pro", "Solo 3", "Solo 4"], "earbuds": ["Studio Buds", "Powerbeats Pro",
                                                                             "Fit Pro"], "speaker": ["Pill"]},
    "JBL": {"speaker": ["Flip 6", "Charge 5", "Clip 4", "Go 3", "PartyBox 110"], "headphones": ["Tune 510BT"]},
    "Dell": {"laptop": ["XPS 13", "XPS 15", "Inspiron 15", "Latitude 5420"], "monitor": ["UltraSharp 27\"", "S2721"]},
    "HP": {"laptop": ["Pavilion 15", "Envy x360", "Spectre x360", "Chromebook 14", "EliteBook 840"]},
    "Lenovo": {"laptop": ["ThinkPad X1 Carbon", "ThinkPad T14", "IdeaPad 3", "Legion 5", "Yoga 7i"]},
    "Asus": {"laptop": ["ROG Zephyrus G14", "TUF Gaming F15", "VivoBook 15", "ZenBook 14"]},
    "Amazon": {"tablet": ["Kindle Paperwhite", "Kindle Oasis", "Fire HD 10", "Kindle Scribe"],
               "speaker": ["Echo Dot", "Echo Show 8", "Echo Pop"], "cable": ["Fire TV Stick 4K"]},
    "Canon": {"camera": ["EOS Rebel T7", "EOS R6", "EOS 5D Mark IV", "PowerShot G7 X Mark II", "AE-1 Program",
                         "EOS R50"], "lens": ["EF 50mm f/1.8", "RF 24-105mm", "EF-S 18-55mm"]},
    "Nikon": {"camera": ["D3500", "Z6 II", "D750", "Coolpix P1000", "F3", "Z50"], "lens": ["Nikkor 50mm f/1.8"]},
    "Fujifilm": {"camera": ["X100V", "X-T4", "X-T30 II", "Instax Mini 12", "Instax Mini 11", "X-E4"],
                 "lens": ["XF 35mm f/1.4", "XF 18-55mm"]},
    "Polaroid": {"camera": ["Now+", "OneStep 2", "SX-70", "Go Gen 2"]},
    "GoPro": {"camera": ["HERO11 Black", "HERO10 Black", "HERO9", "HERO12"]},
    "DJI": {"drone": ["Mini 3 Pro", "Mini 2", "Air 2S", "Mavic 3", "Avata"], "camera": ["Osmo Pocket 3",
                                                                                       "Osmo Action 4"]},
    "Garmin": {"watch": ["Forerunner 255", "Fenix 7", "Venu 2", "Instinct 2", "Vivoactive 5"]},
    "Fitbit": {"watch": ["Charge 5", "Versa 4", "Inspire 3", "Sense 2"]},
    "LEGO": {"brick": ["Star Wars Millennium Falcon 75257", "Technic Bugatti 42083", "Harry Potter Hogwarts Castle",
                       "Creator Expert Bonsai Tree", "City Police Station", "Icons Botanical Flower Bouquet",
                       "Ideas Tree House", "Friends Heartlake City", "Ninjago City Gardens", "Marvel Avengers Tower",
                       "Star Wars UCS AT-AT", "Minecraft The Village", "Disney Castle 71040", "Architecture Paris"],
             "figure": ["Star Wars Clone Trooper", "Marvel Spider-Man", "Collectible Minifigures Series 24",
                        "Harry Potter Minifigure"], "book": ["Star Wars", "Technic"]},
    "Funko": {"figure": ["Pop! Marvel Spider-Man #593", "Pop! Star Wars Grogu", "Pop! Disney Stitch",
                         "Pop! Harry Potter Hedwig", "Pop! Anime Naruto", "Pop! Stranger Things Eleven",
                         "Pop! Dragon Ball Goku", "Pop! One Piece Luffy", "Pop! Rocks Freddie Mercury",
                         "Pop! Games Sonic", "Soda Vinyl", "Pop! Chase Variant"]},
    "Pokemon": {"card": ["Charizard VMAX", "Pikachu Holo", "Base Set Blastoise", "Umbreon VMAX Alt Art",
                         "Scarlet & Violet 151", "Evolving Skies", "Crown Zenith", "Mew ex", "Paldean Fates",
                         "Obsidian Flames", "Celebrations", "Hidden Fates"],
                "box": ["Evolving Skies Booster Box", "151 Elite Trainer Box", "Crown Zenith ETB",
                        "Paldean Fates ETB"],
                "plush": ["Pikachu", "Snorlax", "Eevee", "Gengar", "Bulbasaur"], "figure": ["Pikachu", "Eevee"]},
    "Konami": {"card": ["Blue-Eyes White Dragon", "Dark Magician", "Exodia", "Red-Eyes Black Dragon", "Ghost Rare"]},
    "Wizards of the Coast": {"card": ["Black Lotus Proxy", "Commander Deck", "Lord of the Rings Collector",
                                      "Modern Horizons 3", "Foil Mythic", "Secret Lair"],
                             "box": ["Set Booster Box", "Collector Booster Box"]},
    "Topps": {"card": ["Chrome Baseball", "Series 1 Rookie", "Update Series", "Heritage", "Bowman Chrome"]},
    "Panini": {"card": ["Prizm Basketball", "Select Football", "Donruss Optic", "Mosaic", "National Treasures"]},
    "Squishmallows": {"plush": ["Cam the Cat", "Wendy the Frog", "Archie the Axolotl", "Malcolm the Mushroom",
                                "Connor the Cow", "Fifi the Fox", "Jack the Black Cat"]},
    "Jellycat": {"plush": ["Bashful Bunny", "Amuseable Avocado", "Bartholomew Bear", "Fuddlewuddle Lion",
                           "Amuseable Croissant"]},
    "Barbie": {"doll": ["Dreamhouse", "Signature", "Fashionistas", "Holiday Barbie", "Malibu", "Collector"]},
    "American Girl": {"doll": ["Kit Kittredge", "Samantha", "Truly Me", "Girl of the Year", "Molly", "Felicity"],
                      "dress": ["Meet Outfit", "Pajamas"]},
    "Hot Wheels": {"car": ["Treasure Hunt", "Super Treasure Hunt", "Redline", "Car Culture", "Premium 5-Pack"]},
    "Stanley": {"bottle": ["Quencher H2.0 40oz", "Quencher 30oz", "IceFlow 20oz", "Classic Legendary"],
                "mug": ["Quencher 40oz", "Quencher 30oz", "Adventure"]},
    "Yeti": {"bottle": ["Rambler 20oz", "Rambler 30oz", "Rambler 26oz", "Rambler Jr"],
             "mug": ["Rambler 14oz Mug", "Rambler 10oz Lowball"], "box": ["Tundra 45", "Roadie 24"]},
    "Hydro Flask": {"bottle": ["32oz Wide Mouth", "21oz Standard", "40oz All Around"]},
    "Le Creuset": {"pan": ["Dutch Oven 5.5 qt", "Signature Skillet", "Braiser", "Round Dutch Oven"],
                   "mug": ["Stoneware Mug"]},
    "KitchenAid": {"box": ["Artisan Stand Mixer", "Classic Stand Mixer", "Hand Mixer"]},
    "Dyson": {"vacuum": ["V8 Absolute", "V10", "V11 Torque Drive", "V15 Detect", "Ball Animal"],
              "hairdryer": ["Supersonic", "Airwrap", "Corrale"], "fan": ["Pure Cool", "Hot+Cool"]},
    "Shark": {"vacuum": ["Navigator Lift-Away", "Rocket", "Stratos", "AI Robot"], "hairdryer": ["FlexStyle"]},
    "Bath & Body Works": {"candle": ["3-Wick Candle", "Mahogany Teakwood", "Eucalyptus Spearmint",
                                      "Leaves", "Sweater Weather"],
                          "bottle": ["Gingham", "A Thousand Wishes", "Japanese Cherry Blossom", "Champagne Toast"],
                          "*": ["Fine Fragrance Mist", "Wallflowers"]},
    "Yankee Candle": {"candle": ["Large Jar", "Balsam & Cedar", "Pink Sands", "Midsummer's Night"]},
    "Rae Dunn": {"mug": ["LOVE", "COFFEE", "Artisan"], "*": ["Artisan Collection"]},
    "Charlotte Tilbury": {"lipstick": ["Pillow Talk", "Matte Revolution"], "palette": ["Pillow Talk",
                                                                                       "Luxury Palette"],
                          "compact": ["Airbrush Flawless", "Hollywood Flawless Filter"]},
    "Rare Beauty": {"compact": ["Soft Pinch Liquid Blush", "Positive Light"], "lipstick": ["Kind Words"]},
    "Fenty Beauty": {"bottle": ["Pro Filt'r"], "lipstick": ["Gloss Bomb"], "compact": ["Killawatt"]},
    "Urban Decay": {"palette": ["Naked 3", "Naked Heat", "Naked Reloaded"], "bottle": ["All Nighter"]},
    "Too Faced": {"palette": ["Chocolate Bar", "Born This Way"], "lipstick": ["Better Than Sex"]},
    "Drunk Elephant": {"jar": ["Protini", "Lala Retro"], "bottle": ["C-Firma", "B-Hydra"]},
    "Sol de Janeiro": {"jar": ["Bum Bum Cream"], "bottle": ["Cheirosa 62", "Cheirosa 68"]},
    "Dior": {"perfume": ["Sauvage", "Miss Dior", "J'adore"], "lipstick": ["Lip Glow Oil", "Rouge Dior"],
             "handbag": ["Book Tote", "Saddle Bag", "Lady Dior"]},
    "Yves Saint Laurent": {"perfume": ["Libre", "Black Opium", "Y Eau de Parfum"]},
    "Carolina Herrera": {"perfume": ["Good Girl", "Bad Boy"]},
    "Ariana Grande": {"perfume": ["Cloud", "R.E.M.", "Thank U Next"]},
    "Callaway": {"golf": ["Rogue ST Driver", "Paradym", "Mavrik", "Big Bertha"], "ball": ["Chrome Soft"]},
    "TaylorMade": {"golf": ["Stealth 2 Driver", "SIM2 Max", "P790 Irons", "Qi10"]},
    "Titleist": {"golf": ["TSR2 Driver", "T100 Irons", "Vokey SM9 Wedge", "Scotty Cameron Putter"],
                 "ball": ["Pro V1", "Pro V1x"]},
    "Fender": {"guitar": ["Stratocaster", "Telecaster", "Jazzmaster", "Player Stratocaster", "Precision Bass"],
               "speaker": ["Mustang LT25", "Blues Junior"]},
    "Gibson": {"guitar": ["Les Paul Standard", "SG Standard", "ES-335", "J-45"]},
    "Epiphone": {"guitar": ["Les Paul Standard", "SG Special", "Casino"]},
    "Yamaha": {"guitar": ["FG800", "Pacifica"], "keyboard": ["P-45", "PSR-E373", "Arius"]},
    "Taylor Swift": {"disc": ["Folklore", "Midnights", "1989 Taylor's Version", "Red Taylor's Version",
                              "Speak Now", "Tortured Poets Department", "Lover", "Evermore"]},
    "BTS": {"box": ["Proof", "Map of the Soul: 7", "Love Yourself: Her", "BE"], "disc": ["Butter", "Proof"]},
    "The Beatles": {"disc": ["Abbey Road", "Let It Be", "Revolver", "Sgt. Pepper's", "White Album"]},
    "Fleetwood Mac": {"disc": ["Rumours", "Tusk"]},
    "Pink Floyd": {"disc": ["Dark Side of the Moon", "The Wall", "Wish You Were Here"]},
    "Harry Styles": {"disc": ["Harry's House", "Fine Line"]},
    "Disney": {"*": ["Mickey Mouse", "Stitch", "Frozen", "Minnie Mouse", "Winnie the Pooh", "Little Mermaid",
                     "Toy Story", "Encanto", "Princess"]},
    "Marvel": {"*": ["Spider-Man", "Avengers", "X-Men", "Deadpool", "Iron Man"],
               "book": ["Amazing Spider-Man #1", "X-Men #1", "Venom #3", "Absolute Carnage"]},
    "Star Wars": {"*": ["Mandalorian", "Darth Vader", "Black Series", "Vintage Collection", "Boba Fett"]},
    "Hasbro": {"figure": ["Marvel Legends", "Star Wars Black Series", "G.I. Joe Classified",
                          "Transformers Studio Series"],
               "box": ["Monopoly", "Clue", "Jenga", "Connect 4"]},
    "Cricut": {"box": ["Maker 3", "Explore Air 2", "Joy", "EasyPress 3", "Mug Press"]},
    "Carter's": {"onesie": ["Little Planet", "Just One You"], "*": ["Little Planet"]},
    "Supreme": {"*": ["Box Logo", "Motion Logo", "Small Box"]},
    "Essentials": {"*": ["Fear of God", "1977"]},
    "Champion": {"*": ["Reverse Weave", "Script Logo"]},
    "Carhartt": {"jacket": ["Detroit Jacket", "Active Jacket", "Duck Vest"], "hat": ["Watch Hat Beanie"],
                 "pants": ["Double Knee", "Carpenter"]},
    "Ralph Lauren": {"shirt": ["Classic Fit", "Custom Slim Fit", "Big Pony"], "*": ["Polo Bear", "Pony Logo"]},
    "Ray-Ban": {"sunglasses": ["Wayfarer", "Aviator", "Clubmaster", "Round Metal", "Erika"]},
    "Oakley": {"sunglasses": ["Holbrook", "Radar EV", "Frogskins", "Sutro"]},
    "Pandora": {"*": ["Moments", "Sterling Silver", "Disney", "Me"], "ring": ["Sparkling Crown", "Stackable"]},
    "Kendra Scott": {"*": ["Elisa", "Lee", "Ari Heart", "Davie"]},
    "Tiffany & Co.": {"*": ["Return to Tiffany", "Elsa Peretti", "T Smile", "Heart Tag"]},
    "Squier": {"guitar": ["Classic Vibe Stratocaster", "Affinity Telecaster", "Bullet Strat"]},
    "Peloton": {"bike": ["Bike+", "Bike"]},
    "Traeger": {"grill": ["Pro 575", "Ironwood 650", "Tailgater"]},
    "Weber": {"grill": ["Spirit II E-310", "Original Kettle 22\"", "Genesis", "Smokey Mountain"]},
    "Blackstone": {"pan": ["36\" Griddle", "28\" Griddle", "22\" Tabletop"], "grill": ["Pro Series"]},
    "Trek": {"bike": ["FX 3", "Marlin 7", "Domane AL 2", "Fuel EX"]},
    "Specialized": {"bike": ["Sirrus", "Rockhopper", "Allez", "Stumpjumper"]},
    "Graco": {"stroller": ["Modes", "FastAction", "Pace 2.0"], "*": ["4Ever DLX", "SnugRide"]},
    "UPPAbaby": {"stroller": ["Vista V2", "Cruz V2", "Minu V2"]},
    "Magna-Tiles": {"brick": ["100 Piece Set", "Clear Colors 32", "Metropolis"]},
    "Nerf": {"blaster": ["Elite 2.0", "Ultra", "Rival", "Mega", "Fortnite"]},
    "Wilson": {"ball": ["NBA Official", "Evolution", "The Duke", "Evolution Game Ball"],
               "glove": ["A2000", "A1000"]},
    "Rawlings": {"glove": ["Heart of the Hide", "Pro Preferred", "Select Pro Lite"]},
    "Stray Kids": {"box": ["5-Star", "Maxident", "Rock-Star", "Noeasy"]},
    "Blackpink": {"box": ["Born Pink", "The Album"], "disc": ["Born Pink"]},
    "Sanrio": {"*": ["Hello Kitty", "Kuromi", "My Melody", "Cinnamoroll", "Pompompurin"]},
    "Hello Kitty": {"*": ["Sanrio", "Classic", "50th Anniversary"]},
    "Pop Mart": {"*": ["Labubu", "Skullpanda", "Crybaby", "Hirono", "Dimoo"]},
    "Sonny Angel": {"*": ["Animal Series", "Fruit Series", "Hippers", "Marine Series"]},
    "Loungefly": {"backpack": ["Disney Mini Backpack", "Star Wars Mini Backpack"], "*": ["Disney", "Marvel"]},
    "Vera Bradley": {"*": ["Iconic", "ReActive", "Quilted Cotton"]},
    "Longchamp": {"handbag": ["Le Pliage Large", "Le Pliage Medium", "Le Pliage Mini"]},
    "Stüssy": {"*": ["8 Ball", "Dice", "World Tour", "Stock Logo"]},
}

# Size lists (title text shows them as "Size M", "Sz 8", "W32" ...).
SIZE_SYSTEMS: dict[str, list[str]] = {
    "women": ["XS", "S", "M", "L", "XL", "XXL", "1X", "2X"],
    "women_num": ["00", "0", "2", "4", "6", "8", "10", "12", "14", "16", "24", "25", "26", "27", "28", "29", "30"],
    "men": ["S", "M", "L", "XL", "XXL", "3XL"],
    "men_waist": ["28", "29", "30", "31", "32", "33", "34", "36", "38", "40", "42"],
    "shoes_w": ["5", "5.5", "6", "6.5", "7", "7.5", "8", "8.5", "9", "9.5", "10", "11"],
    "shoes_m": ["7", "7.5", "8", "8.5", "9", "9.5", "10", "10.5", "11", "11.5", "12", "13"],
    "shoes_k": ["4C", "6C", "8C", "10C", "11C", "12C", "13C", "1Y", "2Y", "3Y", "4Y", "5Y", "6Y", "7Y"],
    "kids": ["2T", "3T", "4T", "5T", "XS (4/5)", "S (6/7)", "M (8)", "L (10/12)", "XL (14/16)"],
    "baby": ["Newborn", "0-3 Months", "3-6 Months", "6-9 Months", "9-12 Months", "12-18 Months", "18-24 Months"],
    "pet": ["XS", "S", "M", "L", "XL"],
}

# Listing share of each size within its list: middle sizes are common, extremes rare.
COLOURS: dict[str, tuple[int, int, int]] = {
    "Black": (34, 34, 38),
    "White": (246, 246, 244),
    "Gray": (140, 142, 148),
    "Navy": (32, 46, 94),
    "Blue": (52, 110, 200),
    "Light Blue": (140, 190, 232),
    "Red": (200, 36, 44),
    "Pink": (240, 140, 176),
    "Purple": (122, 70, 160),
    "Green": (46, 140, 70),
    "Olive": (112, 118, 58),
    "Teal": (20, 140, 140),
    "Yellow": (244, 204, 40),
    "Orange": (240, 124, 30),
    "Brown": (118, 74, 40),
    "Tan": (200, 160, 110),
    "Beige": (222, 204, 170),
    "Cream": (244, 234, 206),
    "Burgundy": (120, 24, 44),
    "Gold": (212, 172, 52),
    "Silver": (190, 194, 200),
    "Multicolor": (180, 80, 160),
}
COLOUR_WEIGHTS: dict[str, float] = {
    "Black": 18, "White": 11, "Gray": 8, "Navy": 5, "Blue": 7, "Light Blue": 3, "Red": 5, "Pink": 7,
    "Purple": 3, "Green": 4, "Olive": 2, "Teal": 1.5, "Yellow": 2, "Orange": 1.5, "Brown": 5, "Tan": 3,
    "Beige": 4, "Cream": 2.5, "Burgundy": 2, "Gold": 2.5, "Silver": 3, "Multicolor": 5,
}
