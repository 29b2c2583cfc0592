//! Fixed lists of names, built into the binary so rows never change with a crate upgrade.

pub const FEMALE: &[&str] = &[
    "Ada", "Alice", "Amelia", "Anna", "Beatrice", "Bella", "Chloe", "Clara", "Daisy", "Edith",
    "Eleanor", "Elsie", "Emily", "Emma", "Esme", "Evelyn", "Florence", "Freya", "Grace", "Hannah",
    "Harriet", "Isla", "Ivy", "Jasmine", "Lily", "Lucy", "Mabel", "Maria", "Matilda", "Maya",
    "Mia", "Nora", "Olive", "Olivia", "Phoebe", "Poppy", "Rose", "Ruby", "Sophie", "Zara",
];

pub const MALE: &[&str] = &[
    "Aaron", "Albert", "Alfie", "Archie", "Arthur", "Ben", "Charlie", "Daniel", "David", "Edward",
    "Elliot", "Felix", "Finn", "Frederick", "George", "Harry", "Henry", "Hugo", "Isaac", "Jack",
    "Jacob", "James", "Joseph", "Leo", "Louis", "Luca", "Max", "Noah", "Oliver", "Oscar",
    "Owen", "Peter", "Reuben", "Samuel", "Sebastian", "Theo", "Thomas", "Toby", "William", "Zach",
];

pub const LAST: &[&str] = &[
    "Abbott", "Ashworth", "Bailey", "Barker", "Bennett", "Blackwood", "Bramley", "Brooks",
    "Carter", "Chambers", "Clarke", "Cole", "Cooper", "Crane", "Dawson", "Dixon", "Ellis",
    "Fairfax", "Fletcher", "Foster", "Gardner", "Gibbs", "Goodwin", "Hale", "Harper", "Hawkins",
    "Holloway", "Hughes", "Jennings", "Kemp", "Lambert", "Lawson", "Marsh", "Mason", "Mills",
    "Morley", "Nash", "Norris", "Oakley", "Palmer", "Parsons", "Pearce", "Porter", "Quinn",
    "Reeves", "Rowe", "Sawyer", "Shaw", "Slater", "Stone", "Sutton", "Thorne", "Turner",
    "Underwood", "Vaughan", "Walsh", "Webb", "Whitlock", "Wilde", "Yates",
];

pub const STREETS: &[&str] = &[
    "Acorn", "Alder", "Beacon", "Birch", "Bramble", "Castle", "Cedar", "Chapel", "Cherry",
    "Clover", "Copper", "Elm", "Fern", "Forge", "Foundry", "Garnet", "Hazel", "Heath", "Holly",
    "Ivy", "Juniper", "Kiln", "Lark", "Laurel", "Linden", "Maple", "Meadow", "Mill", "Moor",
    "Oak", "Orchard", "Pine", "Poplar", "Quarry", "Raven", "Rowan", "Sage", "Smelter", "Spruce",
    "Station", "Thistle", "Tower", "Vale", "Willow", "Wren", "Yew",
];

pub const STREET_TYPES: &[&str] = &[
    "Avenue", "Boulevard", "Crescent", "Drive", "Edge", "Flight", "Glen", "Street", "Way",
];

pub const DISTRICTS: [(&str, &str); 20] = [
    ("Old Town", "urban"),
    ("Foundry Quarter", "urban"),
    ("Riverside", "urban"),
    ("Market Hill", "urban"),
    ("Castle Gate", "urban"),
    ("Station Fields", "urban"),
    ("Northgate", "suburban"),
    ("Southmead", "suburban"),
    ("Eastbrook", "suburban"),
    ("Westcombe", "suburban"),
    ("Kiln Park", "suburban"),
    ("Larkfield", "suburban"),
    ("Ashby Heath", "suburban"),
    ("Millbrook", "suburban"),
    ("Upper Uxe", "rural"),
    ("Lower Uxe", "rural"),
    ("Thornby", "rural"),
    ("Wrenfold", "rural"),
    ("Hollow Moor", "rural"),
    ("Greyfell", "rural"),
];
