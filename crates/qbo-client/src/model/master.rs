//! Master data (name lists and company settings, API.md §3.9). Name lists
//! are never deleted, only made inactive with `Active: false`.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::Ref;
use super::common::entity_struct;

entity_struct! {
    /// An account of the chart of accounts.
    Account {
        name: String,
        fully_qualified_name: String,
        sub_account: bool,
        parent_ref: Ref,
        description: String,
        acct_num: String,
        active: bool,
        /// `Asset`, `Liability`, `Equity`, `Revenue` or `Expense`; read-only.
        classification: String,
        account_type: String,
        account_sub_type: String,
        #[serde(with = "crate::model::money")]
        current_balance: Decimal,
        #[serde(with = "crate::model::money")]
        current_balance_with_sub_accounts: Decimal,
        currency_ref: Ref,
    }
}

entity_struct! {
    /// A customer, or a job of one (`Job` with `ParentRef`).
    Customer {
        display_name: String,
        title: String,
        given_name: String,
        middle_name: String,
        family_name: String,
        suffix: String,
        company_name: String,
        fully_qualified_name: String,
        print_on_check_name: String,
        active: bool,
        job: bool,
        parent_ref: Ref,
        bill_with_parent: bool,
        level: u32,
        taxable: bool,
        /// The open balance; computed by QBO.
        #[serde(with = "crate::model::money")]
        balance: Decimal,
        #[serde(with = "crate::model::money")]
        balance_with_jobs: Decimal,
        sales_term_ref: Ref,
        payment_method_ref: Ref,
        currency_ref: Ref,
        notes: String,
    }
}

entity_struct! {
    /// A vendor.
    Vendor {
        display_name: String,
        title: String,
        given_name: String,
        middle_name: String,
        family_name: String,
        suffix: String,
        company_name: String,
        print_on_check_name: String,
        active: bool,
        vendor1099: bool,
        tax_identifier: String,
        acct_num: String,
        term_ref: Ref,
        #[serde(rename = "APAccountRef")]
        ap_account_ref: Ref,
        /// The open balance; computed by QBO.
        #[serde(with = "crate::model::money")]
        balance: Decimal,
        currency_ref: Ref,
    }
}

entity_struct! {
    /// An employee.
    Employee {
        display_name: String,
        title: String,
        given_name: String,
        middle_name: String,
        family_name: String,
        suffix: String,
        print_on_check_name: String,
        active: bool,
        employee_number: String,
        billable_time: bool,
        #[serde(with = "crate::model::money")]
        bill_rate: Decimal,
        hired_date: NaiveDate,
        released_date: NaiveDate,
    }
}

entity_struct! {
    /// A product, service or category.
    Item {
        name: String,
        sku: String,
        description: String,
        active: bool,
        sub_item: bool,
        parent_ref: Ref,
        level: u32,
        fully_qualified_name: String,
        /// `Inventory`, `NonInventory`, `Service`, `Category`, `Group`, `Bundle`, ….
        r#type: String,
        taxable: bool,
        #[serde(with = "crate::model::money")]
        unit_price: Decimal,
        purchase_desc: String,
        #[serde(with = "crate::model::money")]
        purchase_cost: Decimal,
        track_qty_on_hand: bool,
        #[serde(with = "crate::model::money")]
        qty_on_hand: Decimal,
        inv_start_date: NaiveDate,
        income_account_ref: Ref,
        expense_account_ref: Ref,
        asset_account_ref: Ref,
        sales_tax_code_ref: Ref,
        purchase_tax_code_ref: Ref,
        pref_vendor_ref: Ref,
    }
}

entity_struct! {
    /// A class (a tracking dimension).
    Class {
        name: String,
        sub_class: bool,
        parent_ref: Ref,
        fully_qualified_name: String,
        active: bool,
    }
}

entity_struct! {
    /// A department, shown as "Location" in QBO.
    Department {
        name: String,
        sub_department: bool,
        parent_ref: Ref,
        fully_qualified_name: String,
        active: bool,
    }
}

entity_struct! {
    /// Payment terms: a number of days, or a day of the month.
    Term {
        name: String,
        active: bool,
        /// `STANDARD` or `DATE_DRIVEN`.
        r#type: String,
        due_days: u32,
        #[serde(with = "crate::model::money")]
        discount_percent: Decimal,
        discount_days: u32,
        day_of_month_due: u32,
        due_next_month_days: u32,
        discount_day_of_month: u32,
    }
}

entity_struct! {
    /// A sales-tax code; read-only through the entity API.
    TaxCode {
        name: String,
        description: String,
        active: bool,
        hidden: bool,
        taxable: bool,
        tax_group: bool,
    }
}

entity_struct! {
    /// A sales-tax rate.
    TaxRate {
        name: String,
        description: String,
        active: bool,
        /// The rate in percent, e.g. `8.5`.
        #[serde(with = "crate::model::money")]
        rate_value: Decimal,
        agency_ref: Ref,
        special_tax_type: String,
        display_type: String,
    }
}

entity_struct! {
    /// A payment method (cash, check, a card brand, …).
    PaymentMethod {
        name: String,
        active: bool,
        /// `CREDIT_CARD` or `NON_CREDIT_CARD`.
        r#type: String,
    }
}

entity_struct! {
    /// The company's name, addresses and settings; one per company.
    CompanyInfo {
        company_name: String,
        legal_name: String,
        /// The country (ISO-3166 alpha-3 since 2025, e.g. `"USA"`).
        country: String,
        fiscal_year_start_month: String,
        company_start_date: NaiveDate,
        supported_languages: String,
    }
}

entity_struct! {
    /// The company's preferences; one per company. The preference groups
    /// (`AccountingInfoPrefs`, `SalesFormsPrefs`, `CurrencyPrefs`, …) stay in
    /// `extra`, exactly as QBO sent them.
    Preferences {}
}
