//! A synthetic company's bank history for the categorization benchmark and its
//! test: Purchases and Deposits over two years whose descriptions vary the way
//! bank statement text does (card prefixes, store numbers, cities, references,
//! several spellings of one payee), with merchants that go to more than one
//! account and a few lines the bookkeeper filed elsewhere.

use chrono::{Days, NaiveDate};
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rust_decimal::Decimal;
use statements::suggest::HistoryEntry;

/// (account, payee, description templates, low and high amount in dollars, weight).
/// In templates `#` is a random digit, `@` a random letter or digit, `CITY` a city.
type Merchant = (
    &'static str,
    &'static str,
    &'static [&'static str],
    i64,
    i64,
    u32,
);

const MONEY_OUT: &[Merchant] = &[
    (
        "Fuel",
        "Shell",
        &[
            "SHELL OIL #####",
            "SHELL OIL ##### CITY",
            "SHELL SERVICE STATION CITY",
        ],
        30,
        90,
        30,
    ),
    (
        "Fuel",
        "Chevron",
        &["CHEVRON 00#### CITY", "CHEVRON #### CITY"],
        30,
        90,
        20,
    ),
    (
        "Fuel",
        "ExxonMobil",
        &["EXXONMOBIL ####", "EXXON MOBIL ##### CITY"],
        30,
        90,
        10,
    ),
    (
        "Meals and Entertainment",
        "Starbucks",
        &["STARBUCKS STORE ##### CITY", "STARBUCKS ##### CITY"],
        4,
        25,
        30,
    ),
    (
        "Meals and Entertainment",
        "Blue Bottle Coffee",
        &["SQ *BLUE BOTTLE COFFEE", "SQ *BLUE BOTTLE CITY"],
        4,
        20,
        10,
    ),
    (
        "Meals and Entertainment",
        "Chipotle",
        &["CHIPOTLE ####", "CHIPOTLE ONLINE ####"],
        9,
        60,
        12,
    ),
    (
        "Meals and Entertainment",
        "DoorDash",
        &[
            "DOORDASH*THAI BASIL",
            "DOORDASH*PIZZERIA",
            "DD *DOORDASH BURGERS",
        ],
        20,
        80,
        8,
    ),
    (
        "Office Supplies",
        "Office Depot",
        &["OFFICE DEPOT #####", "OFFICEMAX/DEPOT ####"],
        10,
        300,
        10,
    ),
    (
        "Office Supplies",
        "Staples",
        &["STAPLES #####", "STAPLES DIRECT ####"],
        10,
        300,
        8,
    ),
    (
        "Office Supplies",
        "Amazon",
        &[
            "AMZN MKTP US*@@@@@@@@@",
            "AMAZON.COM*@@@@@@@@@ AMZN.COM/BILL",
        ],
        10,
        200,
        14,
    ),
    (
        "Equipment",
        "Amazon",
        &[
            "AMZN MKTP US*@@@@@@@@@",
            "AMAZON.COM*@@@@@@@@@ AMZN.COM/BILL",
        ],
        200,
        1500,
        3,
    ),
    (
        "Equipment",
        "Apple",
        &["APPLE STORE R### CITY", "APPLE.COM/US"],
        800,
        3000,
        3,
    ),
    (
        "Software",
        "Adobe",
        &["ADOBE *CREATIVE CLD", "ADOBE *ACROPRO SUBS"],
        20,
        60,
        12,
    ),
    (
        "Software",
        "Microsoft",
        &["MSFT *MICROSOFT 365", "MICROSOFT*STORE"],
        12,
        40,
        12,
    ),
    (
        "Software",
        "Google",
        &["GOOGLE *GSUITE_@@@@@", "GOOGLE *WORKSPACE @@@@"],
        12,
        40,
        12,
    ),
    (
        "Advertising",
        "Google",
        &["GOOGLE *ADS#########", "GOOGLE ADS #######"],
        50,
        900,
        8,
    ),
    (
        "Advertising",
        "Meta",
        &["FACEBK *@@@@@@@@@", "META PLATFORMS ADS"],
        50,
        900,
        8,
    ),
    (
        "Utilities",
        "PG&E",
        &["PGANDE WEB ONLINE #### PAYMENT", "PG&E WEB ONLINE"],
        80,
        400,
        12,
    ),
    (
        "Utilities",
        "Comcast",
        &["COMCAST CABLE COMM", "COMCAST ####"],
        90,
        200,
        12,
    ),
    (
        "Telephone",
        "AT&T",
        &["AT&T *BILL PAYMENT", "ATT*BILL PAYMENT ######"],
        60,
        200,
        12,
    ),
    (
        "Travel",
        "Uber",
        &["UBER *TRIP @@@@", "UBER TRIP HELP.UBER.COM"],
        8,
        70,
        14,
    ),
    (
        "Travel",
        "Lyft",
        &["LYFT *RIDE @@@ ####", "LYFT RIDE"],
        8,
        70,
        8,
    ),
    (
        "Travel",
        "Delta",
        &["DELTA AIR ##########", "DELTA AIR LINES CITY"],
        150,
        900,
        5,
    ),
    (
        "Travel",
        "Marriott",
        &["MARRIOTT CITY", "MARRIOTT HOTELS ####"],
        150,
        700,
        4,
    ),
    (
        "Bank Charges",
        "First Bank",
        &["MONTHLY SERVICE FEE", "WIRE TRANSFER FEE", "OVERDRAFT FEE"],
        5,
        40,
        6,
    ),
    (
        "Insurance",
        "State Farm",
        &["STATE FARM INSURANCE ##########", "STATE FARM RO ##"],
        100,
        400,
        6,
    ),
    (
        "Rent or Lease",
        "Oak Property Management",
        &[
            "ONLINE TRANSFER TO OAK PROPERTY MGMT",
            "OAK PROPERTY MGMT RENT",
        ],
        2000,
        2500,
        12,
    ),
    (
        "Rent or Lease",
        "Oak Property Management",
        &["CHECK ####"],
        2000,
        2500,
        4,
    ),
    (
        "Contractors",
        "Jane Smith Design",
        &["CHECK ####"],
        300,
        1500,
        5,
    ),
    (
        "Contractors",
        "Upwork",
        &["UPWORK -##########REF", "UPWORK ESCROW INC"],
        100,
        1200,
        8,
    ),
    (
        "Payroll Expenses",
        "Gusto",
        &["GUSTO PAYROLL ######", "GUSTO TAX ######"],
        1500,
        9000,
        12,
    ),
];

const MONEY_IN: &[Merchant] = &[
    (
        "Sales",
        "Stripe",
        &["STRIPE TRANSFER ST-@@@@@@@@", "STRIPE PAYMENTS ##########"],
        300,
        5000,
        40,
    ),
    (
        "Sales",
        "Square",
        &["SQUARE INC SDR########", "SQ DEP @@@@@@@@"],
        100,
        3000,
        25,
    ),
    (
        "Services",
        "Acme Corp",
        &["ACH CREDIT ACME CORP PAYMENT", "ACME CORP ACH ######"],
        1000,
        8000,
        12,
    ),
    (
        "Services",
        "Globex",
        &["GLOBEX INC ACH PMT ######", "WIRE IN GLOBEX INC"],
        1000,
        8000,
        10,
    ),
    (
        "Services",
        "Initech",
        &["MOBILE DEPOSIT REF ##########"],
        500,
        4000,
        6,
    ),
    (
        "Sales",
        "Walk-in customers",
        &["MOBILE DEPOSIT REF ##########", "BRANCH DEPOSIT CASH"],
        100,
        900,
        6,
    ),
    (
        "Interest Earned",
        "First Bank",
        &["INTEREST PAYMENT", "INTEREST EARNED"],
        1,
        30,
        12,
    ),
    (
        "Office Supplies",
        "Amazon",
        &["AMAZON REFUND @@@@@@@@", "AMZN MKTP US REFUND"],
        10,
        150,
        4,
    ),
];

const CITIES: [&str; 10] = [
    "HOUSTON TX",
    "DALLAS TX",
    "AUSTIN TX",
    "SAN DIEGO CA",
    "OAKLAND CA",
    "SEATTLE WA",
    "PORTLAND OR",
    "DENVER CO",
    "CHICAGO IL",
    "BOSTON MA",
];
const PREFIXES: [&str; 5] = [
    "",
    "",
    "POS PURCHASE ",
    "DEBIT CARD PURCHASE ",
    "CHECKCARD #### ",
];
const ALPHANUMERIC: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ0123456789";

fn fill(template: &str, rng: &mut ChaCha8Rng) -> String {
    let city = CITIES.choose(rng).copied().unwrap_or("HOUSTON TX");
    let mut out = String::new();
    for c in template.replace("CITY", city).chars() {
        match c {
            '#' => out.push(char::from(b'0' + rng.random_range(0..10u8))),
            '@' => out.push(char::from(*ALPHANUMERIC.choose(rng).unwrap_or(&b'X'))),
            other => out.push(other),
        }
    }
    out
}

fn pick<'a>(merchants: &'a [Merchant], rng: &mut ChaCha8Rng) -> &'a Merchant {
    let total: u32 = merchants.iter().map(|merchant| merchant.5).sum();
    let mut roll = rng.random_range(0..total);
    for merchant in merchants {
        if roll < merchant.5 {
            return merchant;
        }
        roll -= merchant.5;
    }
    &merchants[0]
}

/// `count` history entries from `seed`, about four in five money out; one in a
/// hundred filed to a random account of the same direction, as real books have
/// (no model can get those right, so they cap the measured accuracy).
pub fn history(seed: u64, count: usize) -> Vec<HistoryEntry> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let start = NaiveDate::from_ymd_opt(2023, 1, 1).unwrap_or_default();
    (0..count)
        .map(|index| {
            let out = rng.random_range(0..10) < 8;
            let merchants = if out { MONEY_OUT } else { MONEY_IN };
            let (account, payee, templates, low, high, _) = pick(merchants, &mut rng);
            let template = templates.choose(&mut rng).copied().unwrap_or("UNKNOWN");
            let mut description = fill(template, &mut rng);
            if out && !description.starts_with("CHECK") && !description.starts_with("ONLINE") {
                let prefix = fill(PREFIXES.choose(&mut rng).copied().unwrap_or(""), &mut rng);
                description = format!("{prefix}{description}");
            }
            let cents = rng.random_range(low * 100..=high * 100);
            let amount = Decimal::new(if out { -cents } else { cents }, 2);
            let mut account = (*account).to_string();
            if rng.random_range(0..100) < 1 {
                account = pick(merchants, &mut rng).0.to_string();
            }
            let day = u64::try_from(index * 730 / count.max(1)).unwrap_or(0);
            HistoryEntry {
                date: start + Days::new(day),
                description,
                amount,
                account,
                payee: Some((*payee).to_string()),
            }
        })
        .collect()
}
