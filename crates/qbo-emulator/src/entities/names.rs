//! Rules for name lists (accounts, customers, vendors, employees, items,
//! classes, departments, terms, payment methods, tax codes and rates) and the
//! two company settings objects.

use rust_decimal::Decimal;
use serde_json::{Map, Value, json};

use super::money::{amount_field, to_json};
use super::{EntityKind, WriteKind, bool_field, ref_value, resolve_ref, str_field};
use crate::fault::Fault;
use crate::index::NameField;
use crate::state::Company;

/// Validates and completes a name-list or settings document.
pub fn normalize(
    company: &Company,
    kind: EntityKind,
    mut doc: Map<String, Value>,
    previous: Option<&Map<String, Value>>,
    write: WriteKind,
) -> Result<Map<String, Value>, Fault> {
    let self_id = previous
        .and_then(|previous| str_field(previous, "Id"))
        .and_then(|id| id.parse::<u64>().ok());
    match kind {
        EntityKind::Customer | EntityKind::Vendor | EntityKind::Employee => {
            person(company, kind, &mut doc, previous, self_id)?;
        }
        EntityKind::Account => account(company, &mut doc, previous, self_id)?,
        EntityKind::Item => item(company, &mut doc, previous, self_id, write)?,
        EntityKind::Class | EntityKind::Department => {
            hierarchical_list(company, kind, &mut doc, self_id)?;
        }
        EntityKind::Term => term(company, &mut doc, self_id)?,
        EntityKind::PaymentMethod => {
            require_unique_name(company, kind, &mut doc, self_id, "payment method")?;
            doc.entry("Type")
                .or_insert_with(|| json!("NON_CREDIT_CARD"));
        }
        EntityKind::TaxCode => {
            require_unique_name(company, kind, &mut doc, self_id, "tax code")?;
            doc.entry("Taxable").or_insert(json!(true));
            doc.entry("TaxGroup").or_insert(json!(false));
            doc.entry("SalesTaxRateList")
                .or_insert_with(|| json!({ "TaxRateDetail": [] }));
            doc.entry("PurchaseTaxRateList")
                .or_insert_with(|| json!({ "TaxRateDetail": [] }));
        }
        EntityKind::TaxRate => {
            require_unique_name(company, kind, &mut doc, self_id, "tax rate")?;
            if amount_field(&doc, "RateValue")?.is_none() {
                return Err(Fault::required("RateValue"));
            }
        }
        EntityKind::CompanyInfo
            if str_field(&doc, "CompanyName").is_none_or(|name| name.trim().is_empty()) =>
        {
            return Err(Fault::required("CompanyName"));
        }
        EntityKind::Preferences => preferences(company, &doc)?,
        _ => {}
    }
    if kind.has_active_flag() {
        let active = bool_field(&doc, "Active").unwrap_or(true);
        doc.insert("Active".to_owned(), json!(active));
    }
    Ok(doc)
}

fn trimmed(doc: &Map<String, Value>, key: &str) -> Option<String> {
    str_field(doc, key)
        .map(str::trim)
        .filter(|text| !text.is_empty())
        .map(str::to_owned)
}

/// Name rules shared by customers, vendors and employees: a display name is
/// required (or built from the name parts) and unique across all three lists,
/// inactive ones included.
fn person(
    company: &Company,
    kind: EntityKind,
    doc: &mut Map<String, Value>,
    previous: Option<&Map<String, Value>>,
    self_id: Option<u64>,
) -> Result<(), Fault> {
    let display_name = match trimmed(doc, "DisplayName") {
        Some(name) => name,
        None => {
            let parts: Vec<String> = ["Title", "GivenName", "MiddleName", "FamilyName", "Suffix"]
                .iter()
                .filter_map(|part| trimmed(doc, part))
                .collect();
            if parts.is_empty() {
                return Err(Fault::validation(
                    "6080",
                    "No name provided",
                    "You must fill out at least one name field: DisplayName, Title, GivenName, MiddleName, FamilyName or Suffix.",
                )
                .with_element("DisplayName"));
            }
            parts.join(" ")
        }
    };
    if display_name.contains(':') {
        return Err(Fault::validation(
            "2040",
            "Invalid String",
            "Invalid String : DisplayName : A name cannot contain a colon (:).",
        )
        .with_element("DisplayName"));
    }
    let taken = [
        EntityKind::Customer,
        EntityKind::Vendor,
        EntityKind::Employee,
    ]
    .into_iter()
    .any(|other| {
        company
            .ids_named(other, NameField::DisplayName, &display_name)
            .into_iter()
            .any(|id| !(other == kind && Some(id) == self_id))
    });
    if taken {
        return Err(Fault::duplicate_name("customer, vendor or employee"));
    }
    doc.insert("DisplayName".to_owned(), json!(display_name));
    doc.entry("PrintOnCheckName")
        .or_insert_with(|| json!(display_name));
    match kind {
        EntityKind::Customer => {
            let parent = resolve_ref(company, doc, "ParentRef", &[EntityKind::Customer])?;
            let qualified = match parent.and_then(|(_, id)| company.get(EntityKind::Customer, id)) {
                Some(parent_doc) => {
                    if self_id.is_some() && parent.map(|(_, id)| id) == self_id {
                        return Err(Fault::validation(
                            "900",
                            "Parent cannot be child",
                            "A customer cannot be its own parent.",
                        ));
                    }
                    let parent_name = str_field(parent_doc, "FullyQualifiedName").unwrap_or("");
                    let level = parent_doc.get("Level").and_then(Value::as_u64).unwrap_or(0);
                    doc.insert("Job".to_owned(), json!(true));
                    doc.insert("Level".to_owned(), json!(level + 1));
                    doc.entry("BillWithParent").or_insert(json!(false));
                    format!("{parent_name}:{display_name}")
                }
                None => {
                    doc.insert("Job".to_owned(), json!(false));
                    doc.remove("Level");
                    display_name.clone()
                }
            };
            doc.insert("FullyQualifiedName".to_owned(), json!(qualified));
            resolve_ref(company, doc, "SalesTermRef", &[EntityKind::Term])?;
            resolve_ref(
                company,
                doc,
                "PaymentMethodRef",
                &[EntityKind::PaymentMethod],
            )?;
            keep_balance(doc, previous, &["Balance", "BalanceWithJobs"])?;
            currency_default(company, doc)?;
        }
        EntityKind::Vendor => {
            doc.entry("Vendor1099").or_insert(json!(false));
            resolve_ref(company, doc, "TermRef", &[EntityKind::Term])?;
            resolve_ref(company, doc, "APAccountRef", &[EntityKind::Account])?;
            keep_balance(doc, previous, &["Balance"])?;
            currency_default(company, doc)?;
        }
        _ => {}
    }
    Ok(())
}

/// Balances are read-only: the server derives them from the open
/// transactions (see `effects::party_balance`); an update keeps the stored
/// value and a create starts at zero.
fn keep_balance(
    doc: &mut Map<String, Value>,
    previous: Option<&Map<String, Value>>,
    fields: &[&str],
) -> Result<(), Fault> {
    for field in fields {
        let value = previous
            .and_then(|previous| previous.get(*field).cloned())
            .unwrap_or(json!(0));
        doc.insert((*field).to_owned(), value);
    }
    Ok(())
}

/// With multicurrency on, names and accounts carry a currency (the home
/// currency unless given); with it off, only the home currency is allowed.
fn currency_default(company: &Company, doc: &mut Map<String, Value>) -> Result<(), Fault> {
    let home = company.home_currency();
    let given = ref_value(doc, "CurrencyRef").map(str::to_owned);
    if company.multicurrency_enabled() {
        let code = given.unwrap_or_else(|| home.clone());
        doc.insert(
            "CurrencyRef".to_owned(),
            json!({ "value": code, "name": currency_name(&code) }),
        );
    } else if let Some(code) = given
        && !code.eq_ignore_ascii_case(&home)
    {
        return Err(Fault::business(format!(
                "Multicurrency is not turned on for this company, so {code} cannot be used; the home currency is {home}."
            ))
            .with_element("CurrencyRef"));
    }
    Ok(())
}

/// The English name QBO gives common currencies.
pub fn currency_name(code: &str) -> String {
    match code.to_ascii_uppercase().as_str() {
        "USD" => "United States Dollar",
        "CAD" => "Canadian Dollar",
        "EUR" => "Euro",
        "GBP" => "British Pound Sterling",
        "AUD" => "Australian Dollar",
        "MXN" => "Mexican Peso",
        "JPY" => "Japanese Yen",
        "INR" => "Indian Rupee",
        "CHF" => "Swiss Franc",
        "NZD" => "New Zealand Dollar",
        other => return other.to_owned(),
    }
    .to_owned()
}

/// A `Name` that is required and unique within the list.
fn require_unique_name(
    company: &Company,
    kind: EntityKind,
    doc: &mut Map<String, Value>,
    self_id: Option<u64>,
    what: &str,
) -> Result<String, Fault> {
    let name = trimmed(doc, "Name").ok_or_else(|| Fault::required("Name"))?;
    doc.insert("Name".to_owned(), json!(name));
    ensure_unique(company, kind, NameField::Name, &name, self_id, what)?;
    Ok(name)
}

fn ensure_unique(
    company: &Company,
    kind: EntityKind,
    field: NameField,
    value: &str,
    self_id: Option<u64>,
    what: &str,
) -> Result<(), Fault> {
    let taken = company
        .ids_named(kind, field, value)
        .into_iter()
        .any(|id| Some(id) != self_id);
    if taken {
        Err(Fault::duplicate_name(what))
    } else {
        Ok(())
    }
}

/// Completes `ParentRef`, `FullyQualifiedName` and the `Sub…` flag of a list
/// whose entries can nest (classes, departments, accounts, items).
fn nest(
    company: &Company,
    kind: EntityKind,
    doc: &mut Map<String, Value>,
    self_id: Option<u64>,
    name: &str,
    sub_flag: &str,
) -> Result<String, Fault> {
    let parent = resolve_ref(company, doc, "ParentRef", &[kind])?;
    let qualified =
        match parent.and_then(|(_, id)| company.get(kind, id).map(|parent| (id, parent))) {
            Some((parent_id, parent_doc)) => {
                if Some(parent_id) == self_id {
                    return Err(Fault::validation(
                        "900",
                        "Parent cannot be child",
                        format!("A {} cannot be its own parent.", kind.name()),
                    ));
                }
                doc.insert(sub_flag.to_owned(), json!(true));
                let parent_name = str_field(parent_doc, "FullyQualifiedName").unwrap_or("");
                format!("{parent_name}:{name}")
            }
            None => {
                doc.insert(sub_flag.to_owned(), json!(false));
                doc.remove("ParentRef");
                name.to_owned()
            }
        };
    doc.insert("FullyQualifiedName".to_owned(), json!(qualified));
    Ok(qualified)
}

fn hierarchical_list(
    company: &Company,
    kind: EntityKind,
    doc: &mut Map<String, Value>,
    self_id: Option<u64>,
) -> Result<(), Fault> {
    let name = trimmed(doc, "Name").ok_or_else(|| Fault::required("Name"))?;
    doc.insert("Name".to_owned(), json!(name));
    let sub_flag = if kind == EntityKind::Class {
        "SubClass"
    } else {
        "SubDepartment"
    };
    let qualified = nest(company, kind, doc, self_id, &name, sub_flag)?;
    let what = if kind == EntityKind::Class {
        "class"
    } else {
        "location"
    };
    ensure_unique(
        company,
        kind,
        NameField::FullyQualifiedName,
        &qualified,
        self_id,
        what,
    )
}

fn term(
    company: &Company,
    doc: &mut Map<String, Value>,
    self_id: Option<u64>,
) -> Result<(), Fault> {
    require_unique_name(company, EntityKind::Term, doc, self_id, "term")?;
    let due_days = amount_field(doc, "DueDays")?;
    let day_of_month = amount_field(doc, "DayOfMonthDue")?;
    let term_type = match (due_days, day_of_month) {
        (Some(_), _) => "STANDARD",
        (None, Some(_)) => "DATE_DRIVEN",
        (None, None) => return Err(Fault::required("DueDays")),
    };
    doc.insert("Type".to_owned(), json!(term_type));
    doc.entry("DiscountPercent").or_insert(json!(0));
    Ok(())
}

/// AccountType → Classification (QBO's fixed mapping).
fn classification(account_type: &str) -> Option<&'static str> {
    Some(match account_type {
        "Bank" | "Other Current Asset" | "Fixed Asset" | "Other Asset" | "Accounts Receivable" => {
            "Asset"
        }
        "Equity" => "Equity",
        "Expense" | "Other Expense" | "Cost of Goods Sold" => "Expense",
        "Accounts Payable" | "Credit Card" | "Long Term Liability" | "Other Current Liability" => {
            "Liability"
        }
        "Income" | "Other Income" => "Revenue",
        _ => return None,
    })
}

/// AccountSubType → AccountType for the detail types in common use.
fn type_of_sub_type(sub_type: &str) -> Option<&'static str> {
    Some(match sub_type {
        "CashOnHand" | "Checking" | "MoneyMarket" | "RentsHeldInTrust" | "Savings"
        | "TrustAccounts" => "Bank",
        "AccountsReceivable" => "Accounts Receivable",
        "AllowanceForBadDebts"
        | "DevelopmentCosts"
        | "EmployeeCashAdvances"
        | "OtherCurrentAssets"
        | "Inventory"
        | "Investment_MortgageRealEstateLoans"
        | "Investment_Other"
        | "Investment_TaxExemptSecurities"
        | "Investment_USGovernmentObligations"
        | "LoansToOfficers"
        | "LoansToOthers"
        | "LoansToStockholders"
        | "PrepaidExpenses"
        | "Retainage"
        | "UndepositedFunds" => "Other Current Asset",
        "AccumulatedDepletion"
        | "AccumulatedDepreciation"
        | "DepletableAssets"
        | "FixedAssetComputers"
        | "FixedAssetCopiers"
        | "FixedAssetFurniture"
        | "FixedAssetPhoneEquipment"
        | "FixedAssetPhotoVideo"
        | "FixedAssetSoftware"
        | "FixedAssetOtherToolsEquipment"
        | "FurnitureAndFixtures"
        | "Land"
        | "LeaseholdImprovements"
        | "OtherFixedAssets"
        | "AccumulatedAmortization"
        | "Buildings"
        | "IntangibleAssets"
        | "MachineryAndEquipment"
        | "Vehicles" => "Fixed Asset",
        "LeaseBuyout"
        | "OtherLongTermAssets"
        | "SecurityDeposits"
        | "AccumulatedAmortizationOfOtherAssets"
        | "Goodwill"
        | "Licenses"
        | "OrganizationalCosts" => "Other Asset",
        "AccountsPayable" => "Accounts Payable",
        "CreditCard" => "Credit Card",
        "NotesPayable" | "OtherLongTermLiabilities" | "ShareholderNotesPayable" => {
            "Long Term Liability"
        }
        "DirectDepositPayable"
        | "LineOfCredit"
        | "LoanPayable"
        | "GlobalTaxPayable"
        | "GlobalTaxSuspense"
        | "OtherCurrentLiabilities"
        | "PayrollClearing"
        | "PayrollTaxPayable"
        | "PrepaidExpensesPayable"
        | "RentsInTrustLiability"
        | "TrustAccountsLiabilities"
        | "FederalIncomeTaxPayable"
        | "InsurancePayable"
        | "SalesTaxPayable"
        | "StateLocalIncomeTaxPayable" => "Other Current Liability",
        "OpeningBalanceEquity"
        | "PartnersEquity"
        | "RetainedEarnings"
        | "AccumulatedAdjustment"
        | "OwnersEquity"
        | "PaidInCapitalOrSurplus"
        | "PartnerContributions"
        | "PartnerDistributions"
        | "PreferredStock"
        | "CommonStock"
        | "TreasuryStock"
        | "EstimatedTaxes"
        | "Healthcare"
        | "PersonalIncome"
        | "PersonalExpense" => "Equity",
        "NonProfitIncome"
        | "OtherPrimaryIncome"
        | "SalesOfProductIncome"
        | "ServiceFeeIncome"
        | "DiscountsRefundsGiven"
        | "UnappliedCashPaymentIncome" => "Income",
        "DividendIncome"
        | "InterestEarned"
        | "OtherInvestmentIncome"
        | "OtherMiscellaneousIncome"
        | "TaxExemptInterest" => "Other Income",
        "AdvertisingPromotional"
        | "BadDebts"
        | "BankCharges"
        | "CharitableContributions"
        | "CommissionsAndFees"
        | "Entertainment"
        | "EntertainmentMeals"
        | "EquipmentRental"
        | "FinanceCosts"
        | "GlobalTaxExpense"
        | "Insurance"
        | "InterestPaid"
        | "LegalProfessionalFees"
        | "OfficeExpenses"
        | "OfficeGeneralAdministrativeExpenses"
        | "OtherBusinessExpenses"
        | "OtherMiscellaneousServiceCost"
        | "PromotionalMeals"
        | "RentOrLeaseOfBuildings"
        | "RepairMaintenance"
        | "ShippingFreightDelivery"
        | "SuppliesMaterials"
        | "Travel"
        | "TravelMeals"
        | "Utilities"
        | "Auto"
        | "CostOfLabor"
        | "DuesSubscriptions"
        | "PayrollExpenses"
        | "TaxesPaid"
        | "UnappliedCashBillPaymentExpense" => "Expense",
        "Amortization"
        | "Depreciation"
        | "ExchangeGainOrLoss"
        | "OtherMiscellaneousExpense"
        | "PenaltiesSettlements"
        | "GasAndFuel"
        | "HomeOffice"
        | "HomeOwnerRentalInsurance"
        | "OtherHomeOfficeExpenses"
        | "MortgageInterest"
        | "ParkingAndTolls"
        | "Vehicle"
        | "VehicleInsurance"
        | "VehicleLease"
        | "VehicleLoanInterest"
        | "VehicleLoan"
        | "VehicleRegistration"
        | "VehicleRepairs"
        | "WashAndRoadServices" => "Other Expense",
        "EquipmentRentalCos"
        | "OtherCostsOfServiceCos"
        | "ShippingFreightDeliveryCos"
        | "SuppliesMaterialsCogs"
        | "CostOfLaborCos" => "Cost of Goods Sold",
        _ => return None,
    })
}

/// The detail type QBO picks when only an AccountType is given.
fn default_sub_type(account_type: &str) -> &'static str {
    match account_type {
        "Bank" => "Checking",
        "Accounts Receivable" => "AccountsReceivable",
        "Other Current Asset" => "OtherCurrentAssets",
        "Fixed Asset" => "OtherFixedAssets",
        "Other Asset" => "OtherLongTermAssets",
        "Accounts Payable" => "AccountsPayable",
        "Credit Card" => "CreditCard",
        "Long Term Liability" => "OtherLongTermLiabilities",
        "Other Current Liability" => "OtherCurrentLiabilities",
        "Equity" => "OwnersEquity",
        "Income" => "ServiceFeeIncome",
        "Other Income" => "OtherMiscellaneousIncome",
        "Cost of Goods Sold" => "SuppliesMaterialsCogs",
        "Other Expense" => "OtherMiscellaneousExpense",
        _ => "OtherMiscellaneousServiceCost",
    }
}

fn account(
    company: &Company,
    doc: &mut Map<String, Value>,
    previous: Option<&Map<String, Value>>,
    self_id: Option<u64>,
) -> Result<(), Fault> {
    let name = trimmed(doc, "Name").ok_or_else(|| Fault::required("Name"))?;
    if name.contains(':') || name.contains('"') {
        return Err(Fault::validation(
            "2040",
            "Invalid String",
            "Invalid String : Name : An account name cannot contain a colon (:) or a double quote (\").",
        )
        .with_element("Name"));
    }
    if name.chars().count() > 100 {
        return Err(Fault::validation(
            "2050",
            "String length is either shorter or longer than supported by specification",
            "String length specified does not match the supported length. Min:1 Max:100 supported. Supplied length:"
                .to_owned()
                + &name.chars().count().to_string(),
        )
        .with_element("Name"));
    }
    doc.insert("Name".to_owned(), json!(name));
    let account_type = trimmed(doc, "AccountType");
    let sub_type = trimmed(doc, "AccountSubType");
    let account_type = match (account_type, &sub_type) {
        (Some(account_type), _) => account_type,
        (None, Some(sub_type)) => type_of_sub_type(sub_type)
            .map(str::to_owned)
            .ok_or_else(invalid_account_type)?,
        (None, None) => return Err(invalid_account_type()),
    };
    let classification = classification(&account_type).ok_or_else(|| {
        Fault::validation(
            "2170",
            "Invalid Enumeration",
            format!("Invalid Enumeration : AccountType : {account_type}"),
        )
        .with_element("AccountType")
    })?;
    if let Some(sub_type) = &sub_type
        && let Some(expected) = type_of_sub_type(sub_type)
        && expected != account_type
    {
        return Err(invalid_account_type());
    }
    let sub_type = sub_type.unwrap_or_else(|| default_sub_type(&account_type).to_owned());
    doc.insert("AccountType".to_owned(), json!(account_type));
    doc.insert("AccountSubType".to_owned(), json!(sub_type));
    doc.insert("Classification".to_owned(), json!(classification));
    let qualified = nest(
        company,
        EntityKind::Account,
        doc,
        self_id,
        &name,
        "SubAccount",
    )?;
    ensure_unique(
        company,
        EntityKind::Account,
        NameField::FullyQualifiedName,
        &qualified,
        self_id,
        "account",
    )?;
    let balance = match previous {
        Some(previous) => previous.get("CurrentBalance").cloned().unwrap_or(json!(0)),
        None => to_json(amount_field(doc, "OpeningBalance")?.unwrap_or(Decimal::ZERO)),
    };
    doc.insert("CurrentBalance".to_owned(), balance.clone());
    doc.insert("CurrentBalanceWithSubAccounts".to_owned(), balance);
    currency_default(company, doc)
}

fn invalid_account_type() -> Fault {
    Fault::validation(
        "6010",
        "Invalid Account Type",
        "Invalid Account.AccountType && Account.AccountSubType: choose an account type and a detail type that belongs to it.",
    )
    .with_element("AccountType")
}

const ITEM_TYPES: [&str; 6] = [
    "Inventory",
    "NonInventory",
    "Service",
    "Category",
    "Group",
    "Bundle",
];

fn item(
    company: &Company,
    doc: &mut Map<String, Value>,
    previous: Option<&Map<String, Value>>,
    self_id: Option<u64>,
    write: WriteKind,
) -> Result<(), Fault> {
    let name = trimmed(doc, "Name").ok_or_else(|| Fault::required("Name"))?;
    if name.contains(':') {
        return Err(Fault::validation(
            "2040",
            "Invalid String",
            "Invalid String : Name : An item name cannot contain a colon (:).",
        )
        .with_element("Name"));
    }
    doc.insert("Name".to_owned(), json!(name));
    let item_type = trimmed(doc, "Type").unwrap_or_else(|| "NonInventory".to_owned());
    let Some(item_type) = ITEM_TYPES
        .iter()
        .find(|known| known.eq_ignore_ascii_case(&item_type))
    else {
        return Err(Fault::validation(
            "2170",
            "Invalid Enumeration",
            format!("Invalid Enumeration : Type : {item_type}"),
        )
        .with_element("Type"));
    };
    doc.insert("Type".to_owned(), json!(item_type));
    if let Some(previous) = previous {
        let was = str_field(previous, "Type").unwrap_or("");
        if was != *item_type
            && (was == "Inventory" || was == "Category" || *item_type == "Category")
        {
            return Err(Fault::business(format!(
                "You can't change the type of this item from {was} to {item_type}."
            ))
            .with_element("Type"));
        }
    }
    let accounts = [EntityKind::Account];
    let income = resolve_ref(company, doc, "IncomeAccountRef", &accounts)?;
    let expense = resolve_ref(company, doc, "ExpenseAccountRef", &accounts)?;
    let asset = resolve_ref(company, doc, "AssetAccountRef", &accounts)?;
    resolve_ref(company, doc, "PrefVendorRef", &[EntityKind::Vendor])?;
    resolve_ref(company, doc, "ClassRef", &[EntityKind::Class])?;
    let parent = resolve_ref(company, doc, "ParentRef", &[EntityKind::Item])?;
    if let Some((_, parent_id)) = parent {
        let parent_type = company
            .get(EntityKind::Item, parent_id)
            .and_then(|parent| str_field(parent, "Type"))
            .unwrap_or("");
        if *item_type == "Category" && parent_type != "Category" {
            return Err(
                Fault::business("A category can only be placed under another category.")
                    .with_element("ParentRef"),
            );
        }
    }
    match *item_type {
        "Category" => {
            for field in [
                "IncomeAccountRef",
                "ExpenseAccountRef",
                "AssetAccountRef",
                "QtyOnHand",
                "TrackQtyOnHand",
            ] {
                doc.remove(field);
            }
        }
        "Inventory" => {
            if bool_field(doc, "TrackQtyOnHand") == Some(false) {
                return Err(Fault::business(
                    "If Track quantity on hand is turned off, the item cannot be of type Inventory.",
                )
                .with_element("TrackQtyOnHand"));
            }
            doc.insert("TrackQtyOnHand".to_owned(), json!(true));
            if income.is_none() {
                return Err(Fault::required("IncomeAccountRef"));
            }
            if expense.is_none() {
                return Err(Fault::required("ExpenseAccountRef"));
            }
            if asset.is_none() {
                return Err(Fault::required("AssetAccountRef"));
            }
            match (write, previous) {
                (WriteKind::Create, _) | (_, None) => {
                    if amount_field(doc, "QtyOnHand")?.is_none() {
                        return Err(Fault::required("QtyOnHand"));
                    }
                    if str_field(doc, "InvStartDate").is_none() {
                        return Err(Fault::business(
                            "As of date for initial quantity on hand is required.",
                        )
                        .with_element("InvStartDate"));
                    }
                }
                (WriteKind::Update, Some(previous)) => {
                    // Stock moves with transactions; an update that leaves the
                    // quantity out keeps the current one rather than clearing it.
                    if amount_field(doc, "QtyOnHand")?.is_none()
                        && let Some(quantity) = previous.get("QtyOnHand")
                    {
                        doc.insert("QtyOnHand".to_owned(), quantity.clone());
                    }
                    if str_field(doc, "InvStartDate").is_none()
                        && let Some(date) = previous.get("InvStartDate")
                    {
                        doc.insert("InvStartDate".to_owned(), date.clone());
                    }
                }
            }
        }
        _ => {
            if bool_field(doc, "TrackQtyOnHand") == Some(true) {
                return Err(Fault::business(format!(
                    "Only inventory items can track quantity on hand; this item is of type {item_type}."
                ))
                .with_element("TrackQtyOnHand"));
            }
            // Intuit's Service sample carries no TrackQtyOnHand; keep what was sent.
            if doc.contains_key("TrackQtyOnHand") {
                doc.insert("TrackQtyOnHand".to_owned(), json!(false));
            }
            doc.remove("QtyOnHand");
            if income.is_none()
                && expense.is_none()
                && *item_type != "Group"
                && *item_type != "Bundle"
            {
                return Err(Fault::required("IncomeAccountRef"));
            }
        }
    }
    nest(company, EntityKind::Item, doc, self_id, &name, "SubItem")?;
    let level = match parent.and_then(|(_, id)| company.get(EntityKind::Item, id)) {
        Some(parent) => parent.get("Level").and_then(Value::as_u64).unwrap_or(0) + 1,
        None => 0,
    };
    if parent.is_some() {
        doc.insert("Level".to_owned(), json!(level));
    } else {
        // Top-level items show neither Level nor SubItem (Intuit's item samples).
        doc.remove("Level");
        doc.remove("SubItem");
    }
    ensure_unique(
        company,
        EntityKind::Item,
        NameField::Name,
        &name,
        self_id,
        "product or service",
    )
}

fn preferences(company: &Company, doc: &Map<String, Value>) -> Result<(), Fault> {
    let now_on = doc
        .get("CurrencyPrefs")
        .and_then(|currency| currency.get("MultiCurrencyEnabled"))
        .and_then(Value::as_bool)
        .unwrap_or(false);
    if company.multicurrency_enabled() && !now_on {
        return Err(
            Fault::business("Multicurrency cannot be turned off once it is on.")
                .with_element("CurrencyPrefs.MultiCurrencyEnabled"),
        );
    }
    let home = doc
        .get("CurrencyPrefs")
        .and_then(|currency| currency.get("HomeCurrency"))
        .and_then(|home| home.get("value"))
        .and_then(Value::as_str)
        .unwrap_or("");
    if company.multicurrency_enabled() && !home.eq_ignore_ascii_case(&company.home_currency()) {
        return Err(Fault::business(
            "The home currency cannot be changed once multicurrency is on.",
        )
        .with_element("CurrencyPrefs.HomeCurrency"));
    }
    Ok(())
}
