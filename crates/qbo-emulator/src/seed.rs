//! A realistic sample company, generated deterministically from a seed.
//!
//! The demo, the tests and the benchmarks need a company that looks like a
//! small business after a year of trading: a chart of accounts, customers,
//! vendors and employees with distinct names, products and services, and a
//! year of transactions of all twelve types, with invoices and bills partly
//! paid, payments taken to the bank in deposits and balanced journal entries.
//!
//! Every object goes through [`Company::create`], the same code path as an API
//! create, so computed fields (totals, balances, stock) and business rules are
//! exactly the API's. The same seed and size always give the same documents;
//! only the realm id differs between companies.

use std::collections::{BTreeMap, HashSet, VecDeque};

use chrono::{DateTime, Days, NaiveDate, NaiveTime, TimeZone, Utc};
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::entities::money::{parse_decimal, to_json};
use crate::entities::{EntityKind, str_field};
use crate::fault::Fault;
use crate::state::Company;

/// What [`populate`] created.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SeedSummary {
    /// Objects created per entity name.
    pub created: BTreeMap<String, usize>,
    /// Transactions created (the `size` asked for).
    pub transactions: usize,
}

/// The name a seeded company gets when none is given, e.g. "Cedar Creek Landscaping".
pub fn company_name(seed: u64) -> String {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5eed_c0de);
    let first = pick(&mut rng, &COMPANY_WORDS);
    let second = pick(&mut rng, &COMPANY_PLACES);
    let trade = pick(&mut rng, &COMPANY_TRADES);
    format!("{first} {second} {trade}")
}

/// Fills `company` with a sample business: master data, then `size`
/// transactions dated across the year before `now`. Deterministic in `seed`
/// and `size`. Seeding does not notify webhooks: the company is new and no
/// app is connected to it yet.
pub fn populate(
    company: &mut Company,
    seed: u64,
    size: usize,
    now: DateTime<Utc>,
) -> Result<SeedSummary, Fault> {
    let mut seeder = Seeder::new(company, seed, now);
    seeder.company_settings()?;
    seeder.chart_of_accounts()?;
    seeder.lists()?;
    seeder.people(size)?;
    seeder.items()?;
    seeder.transactions(size)?;
    let summary = seeder.summary;
    company.take_changes();
    // Seeding changed many documents after storing them (an invoice's
    // balance when its payment came): their texts are written now, so the
    // first client to page through the company is not the one that pays
    // for them.
    company.write_texts();
    Ok(summary)
}

/// A created object that other objects refer to.
#[derive(Clone, Debug)]
struct Named {
    id: String,
    name: String,
}

impl Named {
    fn reference(&self) -> Value {
        json!({ "value": self.id, "name": self.name })
    }
}

/// The accounts transactions post to.
#[derive(Clone, Debug)]
struct Accounts {
    checking: Named,
    savings: Named,
    credit_card: Named,
    payable: Named,
    undeposited: Named,
    inventory: Named,
    cost_of_goods: Named,
    product_income: Named,
    service_income: Named,
    other_income: Named,
    accumulated_depreciation: Named,
    depreciation: Named,
    prepaid: Named,
    insurance: Named,
    payroll_liabilities: Named,
    wages: Named,
    payroll_taxes: Named,
    owner_draw: Named,
    /// Expense accounts for bills and purchases, with how common each is.
    expenses: Vec<(Named, u32)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ItemKind {
    Inventory,
    NonInventory,
    Service,
}

#[derive(Clone, Debug)]
struct SeedItem {
    named: Named,
    kind: ItemKind,
    price: Decimal,
    cost: Decimal,
}

/// An invoice or bill with money still owed.
#[derive(Clone, Debug)]
struct OpenDocument {
    id: String,
    party: usize,
    balance: Decimal,
}

/// A payment or sales receipt waiting in Undeposited Funds.
#[derive(Clone, Debug)]
struct Undeposited {
    id: String,
    kind: EntityKind,
    amount: Decimal,
}

struct Seeder<'a> {
    company: &'a mut Company,
    rng: ChaCha8Rng,
    now: DateTime<Utc>,
    /// The first day of the seeded year.
    start: NaiveDate,
    /// When master data is created, moving forward a minute per object.
    setup_clock: DateTime<Utc>,
    taken_names: HashSet<String>,
    accounts: Option<Accounts>,
    terms: Vec<(Named, u64)>,
    payment_methods: Vec<Named>,
    classes: Vec<Named>,
    departments: Vec<Named>,
    customers: Vec<Named>,
    vendors: Vec<Named>,
    employees: Vec<Named>,
    items: Vec<SeedItem>,
    stock: BTreeMap<usize, Decimal>,
    open_invoices: VecDeque<OpenDocument>,
    open_bills: VecDeque<OpenDocument>,
    undeposited: Vec<Undeposited>,
    check_number: u64,
    vendor_reference: u64,
    summary: SeedSummary,
    /// Bank-statement text and each vendor's usual account come from their
    /// own stream, so that the records, amounts and counts every other test
    /// relies on are the same as without them.
    texts: ChaCha8Rng,
}

/// The transaction types and how often each occurs, per thousand.
const TRANSACTION_MIX: [(EntityKind, u32); 12] = [
    (EntityKind::Invoice, 220),
    (EntityKind::Payment, 190),
    (EntityKind::SalesReceipt, 90),
    (EntityKind::Estimate, 45),
    (EntityKind::CreditMemo, 20),
    (EntityKind::Bill, 150),
    (EntityKind::BillPayment, 120),
    (EntityKind::Purchase, 85),
    (EntityKind::VendorCredit, 15),
    (EntityKind::PurchaseOrder, 25),
    (EntityKind::Deposit, 20),
    (EntityKind::JournalEntry, 20),
];

/// The order in which missing types are forced in at the end of a small
/// company, prerequisites first (an invoice before a payment, …).
const FORCED_ORDER: [EntityKind; 12] = [
    EntityKind::Invoice,
    EntityKind::Bill,
    EntityKind::SalesReceipt,
    EntityKind::Estimate,
    EntityKind::CreditMemo,
    EntityKind::Purchase,
    EntityKind::VendorCredit,
    EntityKind::PurchaseOrder,
    EntityKind::JournalEntry,
    EntityKind::Payment,
    EntityKind::BillPayment,
    EntityKind::Deposit,
];

fn pick<'a, T: ?Sized>(rng: &mut ChaCha8Rng, options: &'a [&'a T]) -> &'a T {
    // The pools are constant and never empty.
    options.choose(rng).copied().unwrap_or(options[0])
}

fn cents(amount: i64) -> Decimal {
    Decimal::new(amount, 2)
}

fn money(amount: Decimal) -> Value {
    to_json(amount)
}

fn date_text(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

fn slug(text: &str) -> String {
    text.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|character| character.to_ascii_lowercase())
        .collect()
}

impl<'a> Seeder<'a> {
    fn new(company: &'a mut Company, seed: u64, now: DateTime<Utc>) -> Seeder<'a> {
        let today = company.today(now);
        let start = today.checked_sub_days(Days::new(365)).unwrap_or(today);
        let setup_day = start.checked_sub_days(Days::new(30)).unwrap_or(start);
        let setup_clock = company
            .offset()
            .from_local_datetime(&setup_day.and_time(NaiveTime::MIN))
            .single()
            .map_or(now, |time| time.with_timezone(&Utc))
            + chrono::Duration::hours(9);
        let taken_names = [
            EntityKind::Customer,
            EntityKind::Vendor,
            EntityKind::Employee,
        ]
        .into_iter()
        .flat_map(|kind| company.all_of(kind))
        .filter_map(|doc| doc.get("DisplayName").and_then(Value::as_str))
        .map(str::to_lowercase)
        .collect();
        Seeder {
            company,
            rng: ChaCha8Rng::seed_from_u64(seed),
            now,
            start,
            setup_clock,
            taken_names,
            accounts: None,
            terms: Vec::new(),
            payment_methods: Vec::new(),
            classes: Vec::new(),
            departments: Vec::new(),
            customers: Vec::new(),
            vendors: Vec::new(),
            employees: Vec::new(),
            items: Vec::new(),
            stock: BTreeMap::new(),
            open_invoices: VecDeque::new(),
            open_bills: VecDeque::new(),
            undeposited: Vec::new(),
            check_number: 1000,
            texts: ChaCha8Rng::seed_from_u64(seed ^ 0x7e47_5eed),
            vendor_reference: 0,
            summary: SeedSummary::default(),
        }
    }

    /// Creates one object through the API's code path.
    fn create(&mut self, kind: EntityKind, body: Value, at: DateTime<Utc>) -> Result<Value, Fault> {
        let at = at.min(self.now);
        let created = self.company.create_kind(kind, body, at)?;
        *self
            .summary
            .created
            .entry(kind.name().to_owned())
            .or_insert(0) += 1;
        Ok(created)
    }

    /// Creates master data, one emulated minute apart.
    fn create_setup(&mut self, kind: EntityKind, body: Value) -> Result<Named, Fault> {
        let at = self.setup_clock;
        self.setup_clock += chrono::Duration::minutes(1);
        let created = self.create(kind, body, at)?;
        Ok(named(&created))
    }

    fn accounts(&self) -> Result<&Accounts, Fault> {
        self.accounts
            .as_ref()
            .ok_or_else(|| Fault::system("the seeder used accounts before creating them"))
    }

    fn chance(&mut self, numerator: u32, denominator: u32) -> bool {
        self.rng.random_ratio(numerator, denominator)
    }

    fn range(&mut self, low: i64, high_inclusive: i64) -> i64 {
        self.rng.random_range(low..=high_inclusive)
    }

    fn address(&mut self) -> Value {
        let number = self.range(12, 9870);
        let street = pick(&mut self.rng, &STREETS);
        let (city, state, zip) = *CITIES.choose(&mut self.rng).unwrap_or(&CITIES[0]);
        json!({
            "Line1": format!("{number} {street}"),
            "City": city,
            "CountrySubDivisionCode": state,
            "PostalCode": zip,
            "Country": "USA",
        })
    }

    fn phone(&mut self) -> Value {
        let area = pick(&mut self.rng, &AREA_CODES);
        let line = self.range(100, 199);
        json!({ "FreeFormNumber": format!("({area}) 555-0{line}") })
    }

    /// Reserves a display name unique across customers, vendors and employees.
    fn unique_name(&mut self, mut candidate: impl FnMut(&mut ChaCha8Rng) -> String) -> String {
        for _ in 0..20 {
            let name = candidate(&mut self.rng);
            if self.taken_names.insert(name.to_lowercase()) {
                return name;
            }
        }
        // The pools ran dry for this shape of name: number the next one.
        let base = candidate(&mut self.rng);
        let mut counter = 2;
        loop {
            let name = format!("{base} {counter}");
            if self.taken_names.insert(name.to_lowercase()) {
                return name;
            }
            counter += 1;
        }
    }

    fn company_settings(&mut self) -> Result<(), Fault> {
        let info = self.company.read_kind(EntityKind::CompanyInfo, "1")?;
        let name = info
            .get("CompanyName")
            .and_then(Value::as_str)
            .unwrap_or("Sample Company")
            .to_owned();
        let sync_token = info
            .get("SyncToken")
            .and_then(Value::as_str)
            .unwrap_or("0")
            .to_owned();
        let address = self.address();
        let phone = self.phone();
        let (industry, code) = *INDUSTRIES.choose(&mut self.rng).unwrap_or(&INDUSTRIES[0]);
        let company_start = self
            .start
            .checked_sub_days(Days::new(30))
            .unwrap_or(self.start);
        let employer_id = self.range(100_000_000, 999_999_999);
        let body = json!({
            "Id": "1",
            "SyncToken": sync_token,
            "sparse": true,
            "LegalName": format!("{name} LLC"),
            "CompanyAddr": address,
            "CustomerCommunicationAddr": address,
            "LegalAddr": address,
            "PrimaryPhone": phone,
            "Email": { "Address": format!("office@{}.example.com", slug(&name)) },
            "WebAddr": { "URI": format!("https://www.{}.example.com", slug(&name)) },
            "CompanyStartDate": date_text(company_start),
            "EmployerId": employer_id.to_string(),
            "NameValue": [
                {"Name": "NeoEnabled", "Value": "true"},
                {"Name": "IndustryType", "Value": industry},
                {"Name": "IndustryCode", "Value": code},
                {"Name": "SubscriptionStatus", "Value": "PAID"},
                {"Name": "OfferingSku", "Value": "QuickBooks Online Advanced"},
                {"Name": "PayrollFeature", "Value": "true"},
                {"Name": "AccountantFeature", "Value": "false"},
            ],
        });
        let at = self.setup_clock;
        self.company
            .sparse_update(EntityKind::CompanyInfo.name(), body, at)?;
        Ok(())
    }

    /// Finds an account by name, or creates it.
    fn account(&mut self, name: &str, account_type: &str, sub_type: &str) -> Result<Named, Fault> {
        let existing = self.company.all_of(EntityKind::Account).find(|doc| {
            doc.get("Name")
                .and_then(Value::as_str)
                .is_some_and(|existing| existing.eq_ignore_ascii_case(name))
        });
        if let Some(doc) = existing {
            return Ok(named(doc));
        }
        let number = self.account_number(account_type);
        self.create_setup(
            EntityKind::Account,
            json!({
                "Name": name,
                "AccountType": account_type,
                "AccountSubType": sub_type,
                "AcctNum": number,
                "Description": format!("{name} ({account_type})"),
            }),
        )
    }

    fn account_number(&mut self, account_type: &str) -> String {
        let base = match account_type {
            "Bank" => 1000,
            "Accounts Receivable" => 1200,
            "Other Current Asset" => 1300,
            "Fixed Asset" => 1500,
            "Accounts Payable" => 2000,
            "Credit Card" => 2100,
            "Other Current Liability" => 2200,
            "Long Term Liability" => 2700,
            "Equity" => 3000,
            "Income" => 4000,
            "Cost of Goods Sold" => 5000,
            "Expense" => 6000,
            "Other Income" => 7000,
            _ => 8000,
        };
        let offset = self.company.count(EntityKind::Account) * 10;
        (base + offset).to_string()
    }

    fn accounts_setup(&mut self) -> Result<Accounts, Fault> {
        let checking = self.account("Business Checking", "Bank", "Checking")?;
        let savings = self.account("Business Savings", "Bank", "Savings")?;
        self.account("Petty Cash", "Bank", "CashOnHand")?;
        let credit_card = self.account("Visa Business Card", "Credit Card", "CreditCard")?;
        self.account(
            "Accounts Receivable (A/R)",
            "Accounts Receivable",
            "AccountsReceivable",
        )?;
        let payable = self.account(
            "Accounts Payable (A/P)",
            "Accounts Payable",
            "AccountsPayable",
        )?;
        let undeposited = self.account(
            "Undeposited Funds",
            "Other Current Asset",
            "UndepositedFunds",
        )?;
        let inventory = self.account("Inventory Asset", "Other Current Asset", "Inventory")?;
        let prepaid = self.account(
            "Prepaid Insurance",
            "Other Current Asset",
            "PrepaidExpenses",
        )?;
        self.account("Equipment", "Fixed Asset", "MachineryAndEquipment")?;
        self.account("Trucks", "Fixed Asset", "Vehicles")?;
        let accumulated_depreciation = self.account(
            "Accumulated Depreciation",
            "Fixed Asset",
            "AccumulatedDepreciation",
        )?;
        let payroll_liabilities = self.account(
            "Payroll Liabilities",
            "Other Current Liability",
            "PayrollTaxPayable",
        )?;
        self.account("Equipment Loan", "Long Term Liability", "NotesPayable")?;
        self.account("Opening Balance Equity", "Equity", "OpeningBalanceEquity")?;
        self.account("Owner's Investment", "Equity", "OwnersEquity")?;
        let owner_draw = self.account("Owner's Draw", "Equity", "PartnerDistributions")?;
        self.account("Retained Earnings", "Equity", "RetainedEarnings")?;
        let product_income =
            self.account("Sales of Product Income", "Income", "SalesOfProductIncome")?;
        let service_income = self.account("Services", "Income", "ServiceFeeIncome")?;
        self.account("Discounts Given", "Income", "DiscountsRefundsGiven")?;
        let other_income = self.account("Interest Earned", "Other Income", "InterestEarned")?;
        let cost_of_goods = self.account(
            "Cost of Goods Sold",
            "Cost of Goods Sold",
            "SuppliesMaterialsCogs",
        )?;
        self.account(
            "Freight In",
            "Cost of Goods Sold",
            "ShippingFreightDeliveryCos",
        )?;
        let insurance = self.account("Insurance", "Expense", "Insurance")?;
        let wages = self.account("Payroll Wages", "Expense", "PayrollExpenses")?;
        let payroll_taxes = self.account("Payroll Taxes", "Expense", "TaxesPaid")?;
        let depreciation = self.account("Depreciation", "Other Expense", "Depreciation")?;
        let mut expenses = Vec::new();
        for (name, sub_type, weight) in EXPENSE_ACCOUNTS {
            let account = self.account(name, "Expense", sub_type)?;
            expenses.push((account, weight));
        }
        Ok(Accounts {
            checking,
            savings,
            credit_card,
            payable,
            undeposited,
            inventory,
            cost_of_goods,
            product_income,
            service_income,
            other_income,
            accumulated_depreciation,
            depreciation,
            prepaid,
            insurance,
            payroll_liabilities,
            wages,
            payroll_taxes,
            owner_draw,
            expenses,
        })
    }

    fn chart_of_accounts(&mut self) -> Result<(), Fault> {
        let accounts = self.accounts_setup()?;
        self.accounts = Some(accounts);
        Ok(())
    }

    fn lists(&mut self) -> Result<(), Fault> {
        for (name, due_days, discount_percent, discount_days) in TERMS {
            let mut body = json!({ "Name": name, "DueDays": due_days });
            if discount_percent > 0 {
                body["DiscountPercent"] = json!(discount_percent);
                body["DiscountDays"] = json!(discount_days);
            }
            let term = self.create_setup(EntityKind::Term, body)?;
            self.terms.push((term, due_days));
        }
        for (name, method_type) in PAYMENT_METHODS {
            let method = self.create_setup(
                EntityKind::PaymentMethod,
                json!({ "Name": name, "Type": method_type }),
            )?;
            self.payment_methods.push(method);
        }
        for name in CLASSES {
            let class = self.create_setup(EntityKind::Class, json!({ "Name": name }))?;
            self.classes.push(class);
        }
        let commercial = self.classes.get(1).cloned();
        if let Some(parent) = commercial {
            for name in ["Property Management", "Municipal Contracts"] {
                let class = self.create_setup(
                    EntityKind::Class,
                    json!({ "Name": name, "SubClass": true, "ParentRef": parent.reference() }),
                )?;
                self.classes.push(class);
            }
        }
        for name in DEPARTMENTS {
            let department = self.create_setup(EntityKind::Department, json!({ "Name": name }))?;
            self.departments.push(department);
        }
        let rate = self.create_setup(
            EntityKind::TaxRate,
            json!({ "Name": "State Sales Tax", "RateValue": 6.25, "Description": "State sales tax" }),
        )?;
        let county = self.create_setup(
            EntityKind::TaxRate,
            json!({ "Name": "County Sales Tax", "RateValue": 1.25, "Description": "County sales tax" }),
        )?;
        self.create_setup(
            EntityKind::TaxCode,
            json!({
                "Name": "State and County",
                "Description": "State and county sales tax",
                "Taxable": true,
                "TaxGroup": true,
                "SalesTaxRateList": { "TaxRateDetail": [
                    { "TaxRateRef": rate.reference(), "TaxTypeApplicable": "TaxOnAmount", "TaxOrder": 0 },
                    { "TaxRateRef": county.reference(), "TaxTypeApplicable": "TaxOnAmount", "TaxOrder": 0 },
                ] },
                "PurchaseTaxRateList": { "TaxRateDetail": [] },
            }),
        )?;
        self.create_setup(
            EntityKind::TaxCode,
            json!({
                "Name": "State Only",
                "Description": "State sales tax, no county tax",
                "Taxable": true,
                "TaxGroup": false,
                "SalesTaxRateList": { "TaxRateDetail": [
                    { "TaxRateRef": rate.reference(), "TaxTypeApplicable": "TaxOnAmount", "TaxOrder": 0 },
                ] },
                "PurchaseTaxRateList": { "TaxRateDetail": [] },
            }),
        )?;
        self.create_setup(
            EntityKind::TaxCode,
            json!({
                "Name": "Out of State",
                "Description": "Sales shipped out of state are not taxed",
                "Taxable": false,
                "TaxGroup": false,
            }),
        )?;
        Ok(())
    }

    fn person_name(rng: &mut ChaCha8Rng) -> (String, String) {
        (
            pick(rng, &GIVEN_NAMES).to_owned(),
            pick(rng, &FAMILY_NAMES).to_owned(),
        )
    }

    fn people(&mut self, size: usize) -> Result<(), Fault> {
        let customers = (size / 40).clamp(12, 2_500);
        let vendors = (size / 150).clamp(8, 700);
        let employees = (size / 2_000).clamp(4, 60);
        for index in 0..customers {
            self.customer(index)?;
        }
        for _ in 0..vendors {
            self.vendor()?;
        }
        for index in 0..employees {
            self.employee(index)?;
        }
        Ok(())
    }

    fn customer(&mut self, index: usize) -> Result<(), Fault> {
        let business = self.chance(3, 5);
        let (given, family) = Self::person_name(&mut self.rng);
        let display = if business {
            self.unique_name(|rng| {
                format!(
                    "{} {}",
                    pick(rng, &BUSINESS_WORDS),
                    pick(rng, &CUSTOMER_BUSINESSES)
                )
            })
        } else {
            let (first, last) = (given.clone(), family.clone());
            let mut attempt = 0;
            self.unique_name(move |rng| {
                attempt += 1;
                if attempt == 1 {
                    format!("{first} {last}")
                } else {
                    let (other_first, other_last) = Self::person_name(rng);
                    format!("{other_first} {other_last}")
                }
            })
        };
        let address = self.address();
        let phone = self.phone();
        let email = if business {
            format!("accounts@{}.example.com", slug(&display))
        } else {
            format!("{}@example.com", slug(&display))
        };
        let term_index = self.rng.random_range(0..self.terms.len().max(1));
        let mut body = json!({
            "DisplayName": display,
            "GivenName": if business { given.clone() } else { display.split(' ').next().unwrap_or("").to_owned() },
            "FamilyName": if business { family.clone() } else { display.split(' ').nth(1).unwrap_or("").to_owned() },
            "PrimaryEmailAddr": { "Address": email },
            "PrimaryPhone": phone,
            "BillAddr": address,
            "ShipAddr": address,
            "Taxable": self.chance(2, 3),
            "PreferredDeliveryMethod": "Email",
        });
        if business {
            body["CompanyName"] = json!(display);
        }
        if let Some((term, _)) = self.terms.get(term_index) {
            body["SalesTermRef"] = term.reference();
        }
        if self.chance(1, 4) {
            let method = self.payment_methods.choose(&mut self.rng).cloned();
            if let Some(method) = method {
                body["PaymentMethodRef"] = method.reference();
            }
        }
        if index.is_multiple_of(9) {
            body["Notes"] = json!(pick(&mut self.rng, &CUSTOMER_NOTES));
        }
        let customer = self.create_setup(EntityKind::Customer, body)?;
        self.customers.push(customer.clone());
        // Some customers have a job (a sub-customer) for a project.
        if index % 11 == 5 {
            let project = pick(&mut self.rng, &PROJECTS);
            let parent_name = customer.name.clone();
            let job_name = self.unique_name(|rng| {
                let _ = rng;
                format!("{parent_name} - {project}")
            });
            let job = self.create_setup(
                EntityKind::Customer,
                json!({
                    "DisplayName": job_name,
                    "Job": true,
                    "ParentRef": customer.reference(),
                    "BillWithParent": true,
                    "BillAddr": address,
                }),
            )?;
            self.customers.push(job);
        }
        Ok(())
    }

    fn vendor(&mut self) -> Result<(), Fault> {
        let contractor = self.chance(1, 5);
        let (given, family) = Self::person_name(&mut self.rng);
        let display = if contractor {
            self.unique_name(|rng| {
                let (first, last) = Self::person_name(rng);
                format!("{first} {last} Contracting")
            })
        } else {
            self.unique_name(|rng| {
                format!(
                    "{} {}",
                    pick(rng, &BUSINESS_WORDS),
                    pick(rng, &VENDOR_BUSINESSES)
                )
            })
        };
        let address = self.address();
        let phone = self.phone();
        let account_number = self.range(10_000, 99_999);
        let term = self
            .terms
            .choose(&mut self.rng)
            .map(|(term, _)| term.reference());
        let mut body = json!({
            "DisplayName": display,
            "CompanyName": display,
            "GivenName": given,
            "FamilyName": family,
            "PrimaryEmailAddr": { "Address": format!("billing@{}.example.com", slug(&display)) },
            "PrimaryPhone": phone,
            "BillAddr": address,
            "AcctNum": account_number.to_string(),
            "Vendor1099": contractor,
        });
        if let Some(term) = term {
            body["TermRef"] = term;
        }
        let vendor = self.create_setup(EntityKind::Vendor, body)?;
        self.vendors.push(vendor);
        Ok(())
    }

    fn employee(&mut self, index: usize) -> Result<(), Fault> {
        let display = self.unique_name(|rng| {
            let (first, last) = Self::person_name(rng);
            format!("{first} {last}")
        });
        let mut parts = display.split(' ');
        let given = parts.next().unwrap_or("").to_owned();
        let family = parts.next().unwrap_or("").to_owned();
        let address = self.address();
        let phone = self.phone();
        let hired_days = self.range(400, 3_000);
        let hired = self
            .start
            .checked_sub_days(Days::new(u64::try_from(hired_days).unwrap_or(400)))
            .unwrap_or(self.start);
        let bill_rate = cents(self.range(35, 95) * 100);
        let employee = self.create_setup(
            EntityKind::Employee,
            json!({
                "DisplayName": display,
                "GivenName": given,
                "FamilyName": family,
                "PrimaryAddr": address,
                "PrimaryPhone": phone,
                "PrimaryEmailAddr": { "Address": format!("{}@example.com", slug(&display)) },
                "EmployeeNumber": format!("E{:03}", index + 1),
                "HiredDate": date_text(hired),
                "BillableTime": true,
                "BillRate": money(bill_rate),
            }),
        )?;
        self.employees.push(employee);
        Ok(())
    }

    fn items(&mut self) -> Result<(), Fault> {
        let accounts = self.accounts()?.clone();
        let inventory_start = self
            .start
            .checked_sub_days(Days::new(30))
            .unwrap_or(self.start);
        let mut categories: BTreeMap<&str, Named> = BTreeMap::new();
        for category in CATEGORIES {
            let created = self.create_setup(
                EntityKind::Item,
                json!({ "Name": category, "Type": "Category" }),
            )?;
            categories.insert(category, created);
        }
        for (position, (name, kind, price, cost, category)) in CATALOG.into_iter().enumerate() {
            let price = cents(price);
            let cost = cents(cost);
            let mut body = json!({
                "Name": name,
                "Description": name,
                "Sku": format!("SKU-{:04}", 1000 + position),
                "UnitPrice": money(price),
                "Taxable": kind != ItemKind::Service,
            });
            if let Some(parent) = categories.get(category) {
                body["SubItem"] = json!(true);
                body["ParentRef"] = parent.reference();
            }
            match kind {
                ItemKind::Inventory => {
                    let quantity = self.range(40, 160);
                    body["Type"] = json!("Inventory");
                    body["TrackQtyOnHand"] = json!(true);
                    body["QtyOnHand"] = json!(quantity);
                    body["InvStartDate"] = json!(date_text(inventory_start));
                    body["PurchaseCost"] = money(cost);
                    body["PurchaseDesc"] = json!(name);
                    body["IncomeAccountRef"] = accounts.product_income.reference();
                    body["ExpenseAccountRef"] = accounts.cost_of_goods.reference();
                    body["AssetAccountRef"] = accounts.inventory.reference();
                    self.stock.insert(self.items.len(), Decimal::from(quantity));
                }
                ItemKind::NonInventory => {
                    body["Type"] = json!("NonInventory");
                    body["PurchaseCost"] = money(cost);
                    body["IncomeAccountRef"] = accounts.product_income.reference();
                    body["ExpenseAccountRef"] = accounts.cost_of_goods.reference();
                }
                ItemKind::Service => {
                    body["Type"] = json!("Service");
                    body["IncomeAccountRef"] = accounts.service_income.reference();
                }
            }
            let created = self.create_setup(EntityKind::Item, body)?;
            self.items.push(SeedItem {
                named: created,
                kind,
                price,
                cost,
            });
        }
        Ok(())
    }

    // ----- Transactions -------------------------------------------------------

    fn transactions(&mut self, size: usize) -> Result<(), Fault> {
        let total_weight: u32 = TRANSACTION_MIX.iter().map(|(_, weight)| weight).sum();
        let mut seen: HashSet<EntityKind> = HashSet::new();
        let span_days = 365_usize;
        for index in 0..size {
            let remaining = size - index;
            let unseen: Vec<EntityKind> = FORCED_ORDER
                .into_iter()
                .filter(|kind| !seen.contains(kind))
                .collect();
            let kind = if !unseen.is_empty() && remaining <= unseen.len() {
                unseen[0]
            } else {
                let mut roll = self.rng.random_range(0..total_weight);
                let mut chosen = EntityKind::Invoice;
                for (kind, weight) in TRANSACTION_MIX {
                    if roll < weight {
                        chosen = kind;
                        break;
                    }
                    roll -= weight;
                }
                // A payment needs something to pay.
                match chosen {
                    EntityKind::Payment if self.open_invoices.is_empty() => EntityKind::Invoice,
                    EntityKind::BillPayment if self.open_bills.is_empty() => EntityKind::Bill,
                    other => other,
                }
            };
            // Spread the transactions evenly over the year, oldest first.
            let day = index * span_days / size.max(1);
            let date = self
                .start
                .checked_add_days(Days::new(day as u64))
                .unwrap_or(self.start);
            let minutes = self.range(7 * 60, 18 * 60);
            let at = self
                .company
                .offset()
                .from_local_datetime(&date.and_time(NaiveTime::MIN))
                .single()
                .map_or(self.now, |time| time.with_timezone(&Utc))
                + chrono::Duration::minutes(minutes);
            self.transaction(kind, date, at)?;
            seen.insert(kind);
            self.summary.transactions += 1;
        }
        Ok(())
    }

    fn transaction(
        &mut self,
        kind: EntityKind,
        date: NaiveDate,
        at: DateTime<Utc>,
    ) -> Result<(), Fault> {
        match kind {
            EntityKind::Invoice => self.invoice(date, at),
            EntityKind::Payment => self.payment(date, at),
            EntityKind::SalesReceipt => self.sales_receipt(date, at),
            EntityKind::Estimate => self.estimate(date, at),
            EntityKind::CreditMemo => self.credit_memo(date, at),
            EntityKind::Bill => self.bill(date, at),
            EntityKind::BillPayment => self.bill_payment(date, at),
            EntityKind::Purchase => self.purchase(date, at),
            EntityKind::VendorCredit => self.vendor_credit(date, at),
            EntityKind::PurchaseOrder => self.purchase_order(date, at),
            EntityKind::Deposit => self.deposit(date, at),
            _ => self.journal_entry(date, at),
        }
    }

    fn choose_customer(&mut self) -> Result<(usize, Named), Fault> {
        let index = self.rng.random_range(0..self.customers.len().max(1));
        self.customers
            .get(index)
            .cloned()
            .map(|customer| (index, customer))
            .ok_or_else(|| Fault::system("the seeder has no customers"))
    }

    fn choose_vendor(&mut self) -> Result<(usize, Named), Fault> {
        let index = self.rng.random_range(0..self.vendors.len().max(1));
        self.vendors
            .get(index)
            .cloned()
            .map(|vendor| (index, vendor))
            .ok_or_else(|| Fault::system("the seeder has no vendors"))
    }

    fn maybe_class(&mut self) -> Option<Value> {
        if self.chance(2, 3) {
            self.classes.choose(&mut self.rng).map(Named::reference)
        } else {
            None
        }
    }

    fn maybe_department(&mut self, body: &mut Value) {
        if self.chance(1, 2)
            && let Some(department) = self.departments.choose(&mut self.rng)
        {
            body["DepartmentRef"] = department.reference();
        }
    }

    /// 1 to 4 sales lines; inventory is only sold while in stock.
    fn sales_lines(&mut self) -> (Vec<Value>, Decimal) {
        let count = self.range(1, 4);
        let mut lines = Vec::new();
        let mut total = Decimal::ZERO;
        let mut used = HashSet::new();
        for _ in 0..count {
            let index = self.rng.random_range(0..self.items.len().max(1));
            let Some(item) = self.items.get(index).cloned() else {
                continue;
            };
            if !used.insert(index) {
                continue;
            }
            let quantity = match item.kind {
                ItemKind::Service => Decimal::from(self.range(1, 12)),
                ItemKind::NonInventory => Decimal::from(self.range(1, 20)),
                ItemKind::Inventory => {
                    let in_stock = self.stock.get(&index).copied().unwrap_or_default();
                    let wanted = Decimal::from(self.range(1, 8));
                    if in_stock < wanted {
                        continue;
                    }
                    self.stock.insert(index, in_stock - wanted);
                    wanted
                }
            };
            let amount = quantity * item.price;
            total += amount;
            let mut detail = json!({
                "ItemRef": item.named.reference(),
                "Qty": to_json(quantity),
                "UnitPrice": money(item.price),
                "TaxCodeRef": { "value": "NON" },
            });
            if let Some(class) = self.maybe_class() {
                detail["ClassRef"] = class;
            }
            lines.push(json!({
                "Description": item.named.name,
                "Amount": money(amount),
                "DetailType": "SalesItemLineDetail",
                "SalesItemLineDetail": detail,
            }));
        }
        if lines.is_empty() {
            // Everything picked was out of stock: sell a service instead.
            if let Some(item) = self
                .items
                .iter()
                .find(|item| item.kind == ItemKind::Service)
                .cloned()
            {
                let quantity = Decimal::from(self.range(1, 6));
                let amount = quantity * item.price;
                total += amount;
                lines.push(json!({
                    "Description": item.named.name,
                    "Amount": money(amount),
                    "DetailType": "SalesItemLineDetail",
                    "SalesItemLineDetail": {
                        "ItemRef": item.named.reference(),
                        "Qty": to_json(quantity),
                        "UnitPrice": money(item.price),
                        "TaxCodeRef": { "value": "NON" },
                    },
                }));
            }
        }
        (lines, total)
    }

    /// Expense lines: stock bought back in for inventory items, otherwise
    /// ordinary expenses by account.
    fn expense_lines(&mut self, allow_items: bool) -> Result<(Vec<Value>, Decimal), Fault> {
        let accounts = self.accounts()?.clone();
        let mut lines = Vec::new();
        let mut total = Decimal::ZERO;
        let restock: Vec<usize> = self
            .stock
            .iter()
            .filter(|(_, quantity)| **quantity < Decimal::from(30))
            .map(|(index, _)| *index)
            .collect();
        if allow_items && (!restock.is_empty() && self.chance(3, 4) || self.chance(1, 4)) {
            let candidates: Vec<usize> = if restock.is_empty() {
                self.stock.keys().copied().collect()
            } else {
                restock
            };
            let take = candidates.len().min(3);
            for index in candidates.into_iter().take(take) {
                let Some(item) = self.items.get(index).cloned() else {
                    continue;
                };
                let quantity = Decimal::from(self.range(20, 80));
                let amount = quantity * item.cost;
                total += amount;
                *self.stock.entry(index).or_default() += quantity;
                lines.push(json!({
                    "Description": format!("{} (restock)", item.named.name),
                    "Amount": money(amount),
                    "DetailType": "ItemBasedExpenseLineDetail",
                    "ItemBasedExpenseLineDetail": {
                        "ItemRef": item.named.reference(),
                        "Qty": to_json(quantity),
                        "UnitPrice": money(item.cost),
                        "BillableStatus": "NotBillable",
                        "TaxCodeRef": { "value": "NON" },
                    },
                }));
            }
        }
        if lines.is_empty() {
            let count = self.range(1, 3);
            let weights: u32 = accounts.expenses.iter().map(|(_, weight)| weight).sum();
            for _ in 0..count {
                let mut roll = self.rng.random_range(0..weights.max(1));
                let mut chosen = accounts
                    .expenses
                    .first()
                    .map(|(account, _)| account.clone());
                for (account, weight) in &accounts.expenses {
                    if roll < *weight {
                        chosen = Some(account.clone());
                        break;
                    }
                    roll -= weight;
                }
                let Some(account) = chosen else { continue };
                let amount = cents(self.range(1_500, 250_000));
                total += amount;
                let mut detail = json!({
                    "AccountRef": account.reference(),
                    "BillableStatus": "NotBillable",
                    "TaxCodeRef": { "value": "NON" },
                });
                if let Some(class) = self.maybe_class() {
                    detail["ClassRef"] = class;
                }
                lines.push(json!({
                    "Description": format!("{} - {}", account.name, pick(&mut self.rng, &EXPENSE_MEMOS)),
                    "Amount": money(amount),
                    "DetailType": "AccountBasedExpenseLineDetail",
                    "AccountBasedExpenseLineDetail": detail,
                }));
            }
        }
        Ok((lines, total))
    }

    fn invoice(&mut self, date: NaiveDate, at: DateTime<Utc>) -> Result<(), Fault> {
        let (party, customer) = self.choose_customer()?;
        let (lines, total) = self.sales_lines();
        let (term, due_days) = self
            .terms
            .choose(&mut self.rng)
            .cloned()
            .ok_or_else(|| Fault::system("the seeder has no terms"))?;
        let due = date.checked_add_days(Days::new(due_days)).unwrap_or(date);
        let mut body = json!({
            "CustomerRef": customer.reference(),
            "TxnDate": date_text(date),
            "SalesTermRef": term.reference(),
            "DueDate": date_text(due),
            "Line": lines,
            "CustomerMemo": { "value": pick(&mut self.rng, &CUSTOMER_MEMOS) },
            "BillEmail": { "Address": format!("{}@example.com", slug(&customer.name)) },
            "EmailStatus": "EmailSent",
            "PrintStatus": "NotSet",
        });
        self.maybe_department(&mut body);
        let created = self.create(EntityKind::Invoice, body, at)?;
        let balance = created
            .get("Balance")
            .and_then(parse_decimal)
            .unwrap_or(total);
        if balance > Decimal::ZERO {
            self.open_invoices.push_back(OpenDocument {
                id: id_of(&created),
                party,
                balance,
            });
        }
        Ok(())
    }

    fn deposit_target(&mut self) -> Result<Named, Fault> {
        let undeposited = self.rng.random_ratio(3, 5);
        let accounts = self.accounts()?;
        Ok(if undeposited {
            accounts.undeposited.clone()
        } else {
            accounts.checking.clone()
        })
    }

    fn payment(&mut self, date: NaiveDate, at: DateTime<Utc>) -> Result<(), Fault> {
        let method = self.payment_methods.choose(&mut self.rng).cloned();
        let target = self.deposit_target()?;
        // Customers mostly pay their oldest invoices.
        let window = self.open_invoices.len().min(25);
        let mut body = json!({ "TxnDate": date_text(date) });
        let amount;
        if window == 0 {
            // Nothing is owed: an unapplied payment (a customer credit).
            let (_, customer) = self.choose_customer()?;
            amount = cents(self.range(5_000, 50_000));
            body["CustomerRef"] = customer.reference();
        } else {
            let index = self.rng.random_range(0..window);
            let Some(mut open) = self.open_invoices.remove(index) else {
                return Ok(());
            };
            let customer = self
                .customers
                .get(open.party)
                .cloned()
                .ok_or_else(|| Fault::system("an invoice names an unknown customer"))?;
            amount = if self.chance(3, 4) || open.balance < cents(2_000) {
                open.balance
            } else {
                let percent = self.range(20, 80);
                (open.balance * Decimal::new(percent, 2)).round_dp(2)
            };
            open.balance -= amount;
            body["CustomerRef"] = customer.reference();
            body["Line"] = json!([{
                "Amount": money(amount),
                "LinkedTxn": [{ "TxnId": open.id, "TxnType": "Invoice" }],
            }]);
            if open.balance > Decimal::ZERO {
                self.open_invoices.push_front(open);
            }
        }
        body["TotalAmt"] = money(amount);
        body["DepositToAccountRef"] = target.reference();
        if let Some(method) = method {
            body["PaymentMethodRef"] = method.reference();
        }
        let reference = self.range(1_000, 99_999);
        body["PaymentRefNum"] = json!(reference.to_string());
        let created = self.create(EntityKind::Payment, body, at)?;
        if target.id == self.accounts()?.undeposited.id {
            self.undeposited.push(Undeposited {
                id: id_of(&created),
                kind: EntityKind::Payment,
                amount,
            });
        }
        Ok(())
    }

    fn sales_receipt(&mut self, date: NaiveDate, at: DateTime<Utc>) -> Result<(), Fault> {
        let (lines, total) = self.sales_lines();
        let target = self.deposit_target()?;
        let mut body = json!({
            "TxnDate": date_text(date),
            "Line": lines,
            "DepositToAccountRef": target.reference(),
        });
        if self.chance(4, 5) {
            let (_, customer) = self.choose_customer()?;
            body["CustomerRef"] = customer.reference();
        }
        if let Some(method) = self.payment_methods.choose(&mut self.rng) {
            body["PaymentMethodRef"] = method.reference();
        }
        self.maybe_department(&mut body);
        let created = self.create(EntityKind::SalesReceipt, body, at)?;
        if target.id == self.accounts()?.undeposited.id {
            let amount = created
                .get("TotalAmt")
                .and_then(parse_decimal)
                .unwrap_or(total);
            self.undeposited.push(Undeposited {
                id: id_of(&created),
                kind: EntityKind::SalesReceipt,
                amount,
            });
        }
        Ok(())
    }

    fn estimate(&mut self, date: NaiveDate, at: DateTime<Utc>) -> Result<(), Fault> {
        let (_, customer) = self.choose_customer()?;
        let (lines, _) = self.sales_lines();
        // Estimates do not move stock: give back what sales_lines took.
        self.restore_stock(&lines);
        let status = pick(
            &mut self.rng,
            &["Pending", "Accepted", "Closed", "Rejected"],
        );
        let expires = date.checked_add_days(Days::new(30)).unwrap_or(date);
        let body = json!({
            "CustomerRef": customer.reference(),
            "TxnDate": date_text(date),
            "ExpirationDate": date_text(expires),
            "TxnStatus": status,
            "Line": lines,
            "CustomerMemo": { "value": "Estimate valid for 30 days." },
        });
        self.create(EntityKind::Estimate, body, at)?;
        Ok(())
    }

    fn restore_stock(&mut self, lines: &[Value]) {
        for line in lines {
            let detail = &line["SalesItemLineDetail"];
            let Some(item_id) = detail["ItemRef"]["value"].as_str() else {
                continue;
            };
            let Some(index) = self.items.iter().position(|item| item.named.id == item_id) else {
                continue;
            };
            if let (Some(stock), Some(quantity)) =
                (self.stock.get_mut(&index), parse_decimal(&detail["Qty"]))
            {
                *stock += quantity;
            }
        }
    }

    fn credit_memo(&mut self, date: NaiveDate, at: DateTime<Utc>) -> Result<(), Fault> {
        let (_, customer) = self.choose_customer()?;
        let (mut lines, _) = self.sales_lines();
        // sales_lines took the goods off the shelf; a credit memo puts the
        // returned goods back instead.
        self.restore_stock(&lines);
        lines.truncate(1);
        self.restore_stock(&lines);
        let body = json!({
            "CustomerRef": customer.reference(),
            "TxnDate": date_text(date),
            "Line": lines,
            "CustomerMemo": { "value": "Credit for returned or unsatisfactory goods." },
        });
        self.create(EntityKind::CreditMemo, body, at)?;
        Ok(())
    }

    fn next_vendor_reference(&mut self) -> String {
        self.vendor_reference += 1;
        format!("INV-{:05}", 20_000 + self.vendor_reference)
    }

    fn bill(&mut self, date: NaiveDate, at: DateTime<Utc>) -> Result<(), Fault> {
        let (party, vendor) = self.choose_vendor()?;
        let (lines, total) = self.expense_lines(true)?;
        let accounts = self.accounts()?.clone();
        let (term, due_days) = self
            .terms
            .choose(&mut self.rng)
            .cloned()
            .ok_or_else(|| Fault::system("the seeder has no terms"))?;
        let due = date.checked_add_days(Days::new(due_days)).unwrap_or(date);
        let reference = self.next_vendor_reference();
        let mut body = json!({
            "VendorRef": vendor.reference(),
            "TxnDate": date_text(date),
            "DueDate": date_text(due),
            "SalesTermRef": term.reference(),
            "APAccountRef": accounts.payable.reference(),
            "DocNumber": reference,
            "Line": lines,
        });
        self.maybe_department(&mut body);
        let created = self.create(EntityKind::Bill, body, at)?;
        let balance = created
            .get("Balance")
            .and_then(parse_decimal)
            .unwrap_or(total);
        if balance > Decimal::ZERO {
            self.open_bills.push_back(OpenDocument {
                id: id_of(&created),
                party,
                balance,
            });
        }
        Ok(())
    }

    fn bill_payment(&mut self, date: NaiveDate, at: DateTime<Utc>) -> Result<(), Fault> {
        let window = self.open_bills.len().min(25);
        if window == 0 {
            return self.bill(date, at);
        }
        let index = self.rng.random_range(0..window);
        let Some(mut open) = self.open_bills.remove(index) else {
            return Ok(());
        };
        let vendor = self
            .vendors
            .get(open.party)
            .cloned()
            .ok_or_else(|| Fault::system("a bill names an unknown vendor"))?;
        let amount = if self.chance(4, 5) || open.balance < cents(2_000) {
            open.balance
        } else {
            let percent = self.range(25, 75);
            (open.balance * Decimal::new(percent, 2)).round_dp(2)
        };
        open.balance -= amount;
        let accounts = self.accounts()?.clone();
        let mut body = json!({
            "VendorRef": vendor.reference(),
            "TxnDate": date_text(date),
            "APAccountRef": accounts.payable.reference(),
            "TotalAmt": money(amount),
            "Line": [{
                "Amount": money(amount),
                "LinkedTxn": [{ "TxnId": open.id, "TxnType": "Bill" }],
            }],
        });
        if self.chance(3, 4) {
            self.check_number += 1;
            body["PayType"] = json!("Check");
            body["DocNumber"] = json!(self.check_number.to_string());
            body["CheckPayment"] = json!({
                "BankAccountRef": accounts.checking.reference(),
                "PrintStatus": "PrintComplete",
            });
        } else {
            body["PayType"] = json!("CreditCard");
            body["CreditCardPayment"] = json!({ "CCAccountRef": accounts.credit_card.reference() });
        }
        self.create(EntityKind::BillPayment, body, at)?;
        if open.balance > Decimal::ZERO {
            self.open_bills.push_front(open);
        }
        Ok(())
    }

    fn purchase(&mut self, date: NaiveDate, at: DateTime<Utc>) -> Result<(), Fault> {
        let (_, vendor) = self.choose_vendor()?;
        let with_items = self.chance(1, 3);
        let (lines, _) = self.expense_lines(with_items)?;
        let accounts = self.accounts()?.clone();
        let roll = self.range(1, 20);
        let mut body = json!({
            "TxnDate": date_text(date),
            "EntityRef": { "value": vendor.id, "name": vendor.name, "type": "Vendor" },
            "Line": lines,
        });
        if roll <= 9 {
            body["PaymentType"] = json!("CreditCard");
            body["AccountRef"] = accounts.credit_card.reference();
        } else if roll <= 17 {
            self.check_number += 1;
            body["PaymentType"] = json!("Check");
            body["AccountRef"] = accounts.checking.reference();
            body["DocNumber"] = json!(self.check_number.to_string());
            body["PrintStatus"] = json!("PrintComplete");
        } else {
            body["PaymentType"] = json!("Cash");
            body["AccountRef"] = accounts.checking.reference();
        }
        if self.chance(1, 5) {
            body["PrivateNote"] = json!(pick(&mut self.rng, &EXPENSE_MEMOS));
        }
        self.maybe_department(&mut body);
        self.bank_statement_style(&mut body, &vendor, &accounts, date);
        self.create(EntityKind::Purchase, body, at)?;
        Ok(())
    }

    /// Makes a purchase read as the bank showed it: the first line's
    /// description is bank-statement text for the vendor (card prefixes,
    /// store numbers, dates, cities, references, truncated names), and the
    /// largest line usually goes to the vendor's own account, as a real
    /// vendor's purchases do.
    fn bank_statement_style(
        &mut self,
        body: &mut Value,
        vendor: &Named,
        accounts: &Accounts,
        date: NaiveDate,
    ) {
        let Some(lines) = body.get_mut("Line").and_then(Value::as_array_mut) else {
            return;
        };
        if lines
            .iter()
            .any(|line| line.get("AccountBasedExpenseLineDetail").is_none())
        {
            return;
        }
        let home = vendor.id.bytes().fold(7usize, |hash, byte| {
            hash.wrapping_mul(31).wrapping_add(usize::from(byte))
        }) % accounts.expenses.len().max(1);
        if self.texts.random_range(0..100) < 93
            && let Some((account, _)) = accounts.expenses.get(home)
        {
            let largest = lines
                .iter()
                .enumerate()
                .max_by_key(|(_, line)| {
                    line.get("Amount")
                        .map(ToString::to_string)
                        .and_then(|text| text.parse::<Decimal>().ok())
                        .unwrap_or_default()
                })
                .map(|(index, _)| index);
            if let Some(line) = largest.and_then(|index| lines.get_mut(index)) {
                line["AccountBasedExpenseLineDetail"]["AccountRef"] = account.reference();
            }
        }
        let card = body.get("PaymentType").and_then(Value::as_str) == Some("CreditCard");
        let text = self.statement_text(&vendor.name, card, date);
        if let Some(first) = body
            .get_mut("Line")
            .and_then(Value::as_array_mut)
            .and_then(|lines| lines.first_mut())
        {
            first["Description"] = json!(text);
        }
    }

    fn statement_text(&mut self, vendor: &str, card: bool, date: NaiveDate) -> String {
        let mut name: String = vendor
            .to_uppercase()
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == ' ' || *c == '&')
            .collect();
        // Card processors cut merchant names at a fixed width.
        if self.texts.random_range(0..3) == 0 && name.len() > 16 {
            name.truncate(16);
            name = name.trim_end().to_owned();
        }
        let (city, state) = *STATEMENT_CITIES
            .choose(&mut self.texts)
            .unwrap_or(&("SEATTLE", "WA"));
        let store = self.texts.random_range(100..9_999);
        let reference = self.texts.random_range(100_000..99_999_999);
        let card_digits = self.texts.random_range(1_000..9_999);
        let day = date.format("%m/%d");
        let short = date.format("%m%d");
        let variant = self.texts.random_range(0..5);
        if card {
            match variant {
                0 => format!("POS DEBIT {name} #{store:04} {city} {state}"),
                1 => format!("CHECKCARD {short} {name} {city} {state} {reference}"),
                2 => format!("{name} {store} {city} {state} {day}"),
                3 => {
                    format!("PURCHASE AUTHORIZED ON {day} {name} {city} {state} CARD {card_digits}")
                }
                _ => format!("SQ *{name} {city} {state}"),
            }
        } else {
            match variant {
                0 => format!("ACH DEBIT {name} REF {reference}"),
                1 => format!("ONLINE PMT {name} CONF#{reference}"),
                2 => format!("{name} AUTOPAY {short} ID {reference}"),
                3 => format!("PREAUTHORIZED DEBIT {name} {day}"),
                _ => format!("CHECK PAID {name} {store}"),
            }
        }
    }

    fn vendor_credit(&mut self, date: NaiveDate, at: DateTime<Utc>) -> Result<(), Fault> {
        let (_, vendor) = self.choose_vendor()?;
        let (mut lines, _) = self.expense_lines(false)?;
        lines.truncate(1);
        let accounts = self.accounts()?.clone();
        let reference = self.next_vendor_reference();
        let body = json!({
            "VendorRef": vendor.reference(),
            "TxnDate": date_text(date),
            "APAccountRef": accounts.payable.reference(),
            "DocNumber": format!("CR-{reference}"),
            "Line": lines,
            "PrivateNote": "Credit for damaged goods",
        });
        self.create(EntityKind::VendorCredit, body, at)?;
        Ok(())
    }

    fn purchase_order(&mut self, date: NaiveDate, at: DateTime<Utc>) -> Result<(), Fault> {
        let (_, vendor) = self.choose_vendor()?;
        let accounts = self.accounts()?.clone();
        let inventory: Vec<SeedItem> = self
            .items
            .iter()
            .filter(|item| item.kind == ItemKind::Inventory)
            .cloned()
            .collect();
        let count = self.range(1, 3);
        let mut lines = Vec::new();
        for item in inventory.choose_multiple(&mut self.rng, usize::try_from(count).unwrap_or(1)) {
            let quantity = Decimal::from(self.range(10, 60));
            lines.push(json!({
                "Description": item.named.name,
                "Amount": money(quantity * item.cost),
                "DetailType": "ItemBasedExpenseLineDetail",
                "ItemBasedExpenseLineDetail": {
                    "ItemRef": item.named.reference(),
                    "Qty": to_json(quantity),
                    "UnitPrice": money(item.cost),
                    "BillableStatus": "NotBillable",
                    "TaxCodeRef": { "value": "NON" },
                },
            }));
        }
        let status = if date < self.company.today(self.now) - chrono::Duration::days(45) {
            "Closed"
        } else {
            "Open"
        };
        let expected = date.checked_add_days(Days::new(14)).unwrap_or(date);
        let body = json!({
            "VendorRef": vendor.reference(),
            "TxnDate": date_text(date),
            "DueDate": date_text(expected),
            "APAccountRef": accounts.payable.reference(),
            "POStatus": status,
            "Line": lines,
            "Memo": "Please confirm the delivery date.",
        });
        self.create(EntityKind::PurchaseOrder, body, at)?;
        Ok(())
    }

    /// Bank-statement text for interest paid into the account.
    fn interest_text(&mut self, date: NaiveDate) -> String {
        let reference = self.texts.random_range(10_000..999_999);
        match self.texts.random_range(0..4) {
            0 => format!("INTEREST PAYMENT {}", date.format("%m/%d")),
            1 => "INTEREST EARNED".to_owned(),
            2 => format!("CREDIT INTEREST PAID REF {reference}"),
            _ => format!(
                "INT PAID {} ANNUAL PERCENTAGE YIELD EARNED",
                date.format("%m%d")
            ),
        }
    }

    fn deposit(&mut self, date: NaiveDate, at: DateTime<Utc>) -> Result<(), Fault> {
        let accounts = self.accounts()?.clone();
        let mut lines = Vec::new();
        let mut total = Decimal::ZERO;
        let take = self.undeposited.len().min(12);
        for waiting in self.undeposited.drain(..take) {
            total += waiting.amount;
            lines.push(json!({
                "Amount": money(waiting.amount),
                "LinkedTxn": [{
                    "TxnId": waiting.id,
                    "TxnType": waiting.kind.name(),
                    "TxnLineId": "0",
                }],
            }));
        }
        if lines.is_empty() || self.chance(1, 5) {
            // Interest or a refund paid straight into the bank.
            let amount = cents(self.range(150, 9_500));
            total += amount;
            lines.push(json!({
                "Amount": money(amount),
                "Description": self.interest_text(date),
                "DetailType": "DepositLineDetail",
                "DepositLineDetail": { "AccountRef": accounts.other_income.reference() },
            }));
        }
        let body = json!({
            "TxnDate": date_text(date),
            "DepositToAccountRef": accounts.checking.reference(),
            "TotalAmt": money(total),
            "Line": lines,
        });
        self.create(EntityKind::Deposit, body, at)?;
        Ok(())
    }

    fn journal_entry(&mut self, date: NaiveDate, at: DateTime<Utc>) -> Result<(), Fault> {
        let accounts = self.accounts()?.clone();
        let template = self.range(0, 4);
        let (memo, lines): (&str, Vec<(&Named, &str, Decimal)>) = match template {
            0 => {
                let amount = cents(self.range(40_000, 180_000));
                (
                    "Monthly depreciation",
                    vec![
                        (&accounts.depreciation, "Debit", amount),
                        (&accounts.accumulated_depreciation, "Credit", amount),
                    ],
                )
            }
            1 => {
                let wages = cents(self.range(800_000, 2_400_000));
                let taxes = (wages * Decimal::new(765, 4)).round_dp(2);
                (
                    "Payroll accrual",
                    vec![
                        (&accounts.wages, "Debit", wages),
                        (&accounts.payroll_taxes, "Debit", taxes),
                        (&accounts.payroll_liabilities, "Credit", wages + taxes),
                    ],
                )
            }
            2 => {
                let amount = cents(self.range(100_000, 500_000));
                (
                    "Owner's draw",
                    vec![
                        (&accounts.owner_draw, "Debit", amount),
                        (&accounts.checking, "Credit", amount),
                    ],
                )
            }
            3 => {
                let amount = cents(self.range(250_000, 1_000_000));
                (
                    "Transfer to savings",
                    vec![
                        (&accounts.savings, "Debit", amount),
                        (&accounts.checking, "Credit", amount),
                    ],
                )
            }
            _ => {
                let amount = cents(self.range(20_000, 90_000));
                (
                    "Prepaid insurance amortization",
                    vec![
                        (&accounts.insurance, "Debit", amount),
                        (&accounts.prepaid, "Credit", amount),
                    ],
                )
            }
        };
        let class = self.maybe_class();
        let body_lines: Vec<Value> = lines
            .iter()
            .map(|(account, posting, amount)| {
                let mut detail = json!({
                    "PostingType": posting,
                    "AccountRef": account.reference(),
                });
                if let Some(class) = &class {
                    detail["ClassRef"] = class.clone();
                }
                json!({
                    "Description": memo,
                    "Amount": money(*amount),
                    "DetailType": "JournalEntryLineDetail",
                    "JournalEntryLineDetail": detail,
                })
            })
            .collect();
        let body = json!({
            "TxnDate": date_text(date),
            "PrivateNote": memo,
            "Line": body_lines,
        });
        self.create(EntityKind::JournalEntry, body, at)?;
        Ok(())
    }
}

fn named(doc: &Value) -> Named {
    let map = doc.as_object().cloned().unwrap_or_default();
    Named {
        id: str_field(&map, "Id").unwrap_or_default().to_owned(),
        name: display_name(&map),
    }
}

fn display_name(doc: &Map<String, Value>) -> String {
    ["FullyQualifiedName", "DisplayName", "Name"]
        .iter()
        .find_map(|key| str_field(doc, key))
        .unwrap_or_default()
        .to_owned()
}

fn id_of(doc: &Value) -> String {
    doc.get("Id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

// ----- Pools of realistic names ------------------------------------------------

const COMPANY_WORDS: [&str; 12] = [
    "Cedar",
    "Maple",
    "Granite",
    "Willow",
    "Summit",
    "Blue Heron",
    "Red Oak",
    "Silver",
    "Evergreen",
    "Juniper",
    "Harbor",
    "Meadow",
];
const COMPANY_PLACES: [&str; 8] = [
    "Creek", "Ridge", "Valley", "Hill", "Point", "Grove", "Falls", "Park",
];
const COMPANY_TRADES: [&str; 6] = [
    "Landscaping",
    "Garden Supply",
    "Design and Landscaping",
    "Nursery",
    "Outdoor Living",
    "Lawn and Garden",
];

const INDUSTRIES: [(&str, &str); 3] = [
    ("Landscaping Services", "56173"),
    ("Nursery, Garden Center, and Farm Supply Stores", "44422"),
    ("Landscape Architectural Services", "54132"),
];

const GIVEN_NAMES: [&str; 60] = [
    "James",
    "Mary",
    "Robert",
    "Patricia",
    "John",
    "Jennifer",
    "Michael",
    "Linda",
    "David",
    "Elizabeth",
    "William",
    "Barbara",
    "Richard",
    "Susan",
    "Joseph",
    "Jessica",
    "Thomas",
    "Sarah",
    "Charles",
    "Karen",
    "Daniel",
    "Lisa",
    "Matthew",
    "Nancy",
    "Anthony",
    "Sandra",
    "Mark",
    "Ashley",
    "Steven",
    "Emily",
    "Paul",
    "Michelle",
    "Andrew",
    "Amanda",
    "Joshua",
    "Melissa",
    "Kevin",
    "Rebecca",
    "Brian",
    "Laura",
    "Diego",
    "Sofia",
    "Wei",
    "Mei",
    "Arjun",
    "Priya",
    "Kofi",
    "Amara",
    "Liam",
    "Olivia",
    "Noah",
    "Emma",
    "Mateo",
    "Isabella",
    "Hiroshi",
    "Yuki",
    "Omar",
    "Layla",
    "Ivan",
    "Anya",
];

const FAMILY_NAMES: [&str; 60] = [
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Torres",
    "Nguyen",
    "Hill",
    "Flores",
    "Green",
    "Adams",
    "Nelson",
    "Baker",
    "Hall",
    "Rivera",
    "Campbell",
    "Mitchell",
    "Carter",
    "Roberts",
    "Kowalski",
    "Okafor",
    "Tanaka",
    "Patel",
    "Chen",
    "Novak",
    "Haddad",
    "Ivanova",
    "O'Brien",
    "Schmidt",
];

const BUSINESS_WORDS: [&str; 40] = [
    "Acme",
    "Apex",
    "Bayview",
    "Birchwood",
    "Bluebird",
    "Brightside",
    "Cascade",
    "Cornerstone",
    "Crestview",
    "Diamond",
    "Eastside",
    "Elm Street",
    "Fairway",
    "Foxglove",
    "Golden Gate",
    "Greenleaf",
    "Hillcrest",
    "Horizon",
    "Ironwood",
    "Keystone",
    "Lakeside",
    "Liberty",
    "Magnolia",
    "Northgate",
    "Oakmont",
    "Pacific",
    "Pinecrest",
    "Pioneer",
    "Riverside",
    "Rosewood",
    "Sagebrush",
    "Seaside",
    "Sierra",
    "Skyline",
    "Stonebridge",
    "Sunrise",
    "Timberline",
    "Union",
    "Westfield",
    "Wildflower",
];

const CUSTOMER_BUSINESSES: [&str; 24] = [
    "Dental Group",
    "Property Management",
    "Realty",
    "Cafe",
    "Bakery",
    "Law Offices",
    "Apartments",
    "Country Club",
    "Elementary School",
    "Medical Center",
    "Hotel",
    "Winery",
    "Church",
    "Homeowners Association",
    "Veterinary Clinic",
    "Fitness",
    "Bistro",
    "Library",
    "Senior Living",
    "Auto Care",
    "Brewing Co.",
    "Business Park",
    "Golf Course",
    "Community Center",
];

const VENDOR_BUSINESSES: [&str; 24] = [
    "Nursery Wholesale",
    "Irrigation Supply",
    "Stone & Tile",
    "Hardware",
    "Equipment Rental",
    "Fuel Co.",
    "Insurance Agency",
    "Office Supply",
    "Power & Light",
    "Water District",
    "Telecom",
    "Fleet Services",
    "Lumber Yard",
    "Seed Company",
    "Fertilizer Co.",
    "Tool Works",
    "Print Shop",
    "CPA Group",
    "Sign Company",
    "Pottery Imports",
    "Mulch & Soil",
    "Tree Farm",
    "Trucking",
    "Uniform Service",
];

const PROJECTS: [&str; 8] = [
    "Backyard Patio",
    "Front Lawn Renovation",
    "Irrigation Upgrade",
    "Courtyard Fountain",
    "Parking Lot Planters",
    "Rooftop Garden",
    "Retaining Wall",
    "Seasonal Maintenance",
];

const CUSTOMER_NOTES: [&str; 4] = [
    "Prefers service visits on Tuesday mornings.",
    "Gate code is on file; call before arriving.",
    "Tax-exempt certificate requested.",
    "Send invoices to the accounts payable mailbox.",
];

const CUSTOMER_MEMOS: [&str; 3] = [
    "Thank you for your business and have a great day!",
    "Payment is due by the date shown. Thank you!",
    "We appreciate your prompt payment.",
];

const EXPENSE_MEMOS: [&str; 6] = [
    "monthly statement",
    "job site supplies",
    "quarterly payment",
    "service call",
    "replacement parts",
    "annual renewal",
];

const STREETS: [&str; 16] = [
    "Main Street",
    "Oak Avenue",
    "Pine Street",
    "Maple Drive",
    "Cedar Lane",
    "Elm Street",
    "Washington Boulevard",
    "Lake Road",
    "Hillside Avenue",
    "Park Place",
    "River Road",
    "Sunset Boulevard",
    "Highland Avenue",
    "Church Street",
    "Mill Road",
    "Garden Way",
];

const CITIES: [(&str, &str, &str); 12] = [
    ("Mountain View", "CA", "94043"),
    ("Palo Alto", "CA", "94301"),
    ("San Jose", "CA", "95112"),
    ("Sunnyvale", "CA", "94086"),
    ("Redwood City", "CA", "94063"),
    ("Menlo Park", "CA", "94025"),
    ("Cupertino", "CA", "95014"),
    ("Santa Clara", "CA", "95050"),
    ("Los Altos", "CA", "94022"),
    ("Milpitas", "CA", "95035"),
    ("Fremont", "CA", "94538"),
    ("San Mateo", "CA", "94401"),
];

const AREA_CODES: [&str; 4] = ["650", "408", "415", "510"];

/// Terms: name, due days, early-payment discount percent and days.
const TERMS: [(&str, u64, u32, u32); 6] = [
    ("Due on receipt", 0, 0, 0),
    ("Net 10", 10, 0, 0),
    ("Net 15", 15, 0, 0),
    ("Net 30", 30, 0, 0),
    ("Net 60", 60, 0, 0),
    ("1% 10 Net 30", 30, 1, 10),
];

const PAYMENT_METHODS: [(&str, &str); 7] = [
    ("Cash", "NON_CREDIT_CARD"),
    ("Check", "NON_CREDIT_CARD"),
    ("Visa", "CREDIT_CARD"),
    ("MasterCard", "CREDIT_CARD"),
    ("American Express", "CREDIT_CARD"),
    ("Discover", "CREDIT_CARD"),
    ("ACH Transfer", "NON_CREDIT_CARD"),
];

const CLASSES: [&str; 3] = ["Residential", "Commercial", "Public Works"];

const DEPARTMENTS: [&str; 3] = ["Main Street Yard", "North Valley Branch", "Online Store"];

/// Expense accounts: name, detail type, how common on bills and purchases.
/// Cities bank statements name beside a merchant.
const STATEMENT_CITIES: [(&str, &str); 12] = [
    ("SEATTLE", "WA"),
    ("PORTLAND", "OR"),
    ("TACOMA", "WA"),
    ("SPOKANE", "WA"),
    ("BOISE", "ID"),
    ("EUGENE", "OR"),
    ("BELLEVUE", "WA"),
    ("SALEM", "OR"),
    ("OLYMPIA", "WA"),
    ("DENVER", "CO"),
    ("SACRAMENTO", "CA"),
    ("RENO", "NV"),
];

const EXPENSE_ACCOUNTS: [(&str, &str, u32); 12] = [
    ("Advertising & Marketing", "AdvertisingPromotional", 5),
    ("Bank Charges & Fees", "BankCharges", 3),
    ("Fuel", "Auto", 12),
    ("Job Supplies", "SuppliesMaterials", 20),
    ("Legal & Professional Services", "LegalProfessionalFees", 4),
    ("Meals", "EntertainmentMeals", 6),
    (
        "Office Supplies & Software",
        "OfficeGeneralAdministrativeExpenses",
        8,
    ),
    ("Rent & Lease", "RentOrLeaseOfBuildings", 6),
    ("Repairs & Maintenance", "RepairMaintenance", 10),
    ("Equipment Rental", "EquipmentRental", 8),
    ("Travel", "Travel", 4),
    ("Utilities", "Utilities", 8),
];

const CATEGORIES: [&str; 4] = [
    "Garden Decor",
    "Irrigation",
    "Landscaping Materials",
    "Services",
];

/// Products and services: name, kind, price and cost in cents, category.
const CATALOG: [(&str, ItemKind, i64, i64, &str); 24] = [
    (
        "Rock Fountain",
        ItemKind::Inventory,
        27_500,
        12_500,
        "Garden Decor",
    ),
    (
        "Stone Bench",
        ItemKind::Inventory,
        32_900,
        15_500,
        "Garden Decor",
    ),
    (
        "Bird Bath",
        ItemKind::Inventory,
        8_900,
        3_900,
        "Garden Decor",
    ),
    (
        "Terracotta Pot 14 in",
        ItemKind::Inventory,
        2_450,
        980,
        "Garden Decor",
    ),
    (
        "Solar Path Light",
        ItemKind::Inventory,
        1_899,
        720,
        "Garden Decor",
    ),
    (
        "Sprinkler Heads",
        ItemKind::Inventory,
        200,
        75,
        "Irrigation",
    ),
    (
        "Sprinkler Pipes",
        ItemKind::Inventory,
        400,
        250,
        "Irrigation",
    ),
    ("Pump", ItemKind::Inventory, 15_000, 10_000, "Irrigation"),
    (
        "Garden Hose 50 ft",
        ItemKind::Inventory,
        3_499,
        1_650,
        "Irrigation",
    ),
    (
        "Drip Irrigation Kit",
        ItemKind::Inventory,
        4_999,
        2_100,
        "Irrigation",
    ),
    (
        "Mulch (cubic yard)",
        ItemKind::NonInventory,
        4_500,
        2_200,
        "Landscaping Materials",
    ),
    (
        "Topsoil (cubic yard)",
        ItemKind::NonInventory,
        3_800,
        1_700,
        "Landscaping Materials",
    ),
    (
        "Sod (pallet)",
        ItemKind::NonInventory,
        27_000,
        16_000,
        "Landscaping Materials",
    ),
    (
        "Fertilizer (50 lb)",
        ItemKind::NonInventory,
        3_200,
        1_800,
        "Landscaping Materials",
    ),
    (
        "Gravel (ton)",
        ItemKind::NonInventory,
        5_500,
        3_000,
        "Landscaping Materials",
    ),
    ("Landscape Design", ItemKind::Service, 7_500, 0, "Services"),
    ("Installation", ItemKind::Service, 5_000, 0, "Services"),
    ("Lawn Maintenance", ItemKind::Service, 4_500, 0, "Services"),
    ("Tree Trimming", ItemKind::Service, 6_500, 0, "Services"),
    ("Irrigation Repair", ItemKind::Service, 8_500, 0, "Services"),
    ("Consultation", ItemKind::Service, 12_000, 0, "Services"),
    ("Snow Removal", ItemKind::Service, 9_500, 0, "Services"),
    ("Hedge Shaping", ItemKind::Service, 5_500, 0, "Services"),
    ("Pest Control", ItemKind::Service, 7_000, 0, "Services"),
];
