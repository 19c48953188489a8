//! Transaction lines and their detail objects (XSD `Finance.xsd`, API.md §3.6).
//!
//! A line carries exactly one detail object named after its `DetailType`.
//! The common ones are typed; any other (`GroupLineDetail`, `TaxLineDetail`,
//! …) stays in the line's `extra` untouched.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::common::model_struct;
use super::{LinkedTxn, Ref};

model_struct! {
    /// One line of a transaction.
    Line {
        /// The line's id within its transaction; advisory (API.md §3.3).
        id: String,
        line_num: u32,
        description: String,
        /// The line amount. On journal lines always positive; the sign comes
        /// from `PostingType`.
        #[serde(with = "crate::model::money")]
        amount: Decimal,
        /// Names the detail object present, e.g. `"SalesItemLineDetail"`.
        detail_type: String,
        linked_txn: Vec<LinkedTxn>,
        sales_item_line_detail: SalesItemLineDetail,
        item_based_expense_line_detail: ItemBasedExpenseLineDetail,
        account_based_expense_line_detail: AccountBasedExpenseLineDetail,
        journal_entry_line_detail: JournalEntryLineDetail,
        deposit_line_detail: DepositLineDetail,
        discount_line_detail: DiscountLineDetail,
        sub_total_line_detail: SubTotalLineDetail,
    }
}

model_struct! {
    /// A sales line: an item sold at a price and quantity. The amount lives
    /// on the [`Line`], never here (QBO rejects it with 2010).
    SalesItemLineDetail {
        item_ref: Ref,
        class_ref: Ref,
        #[serde(with = "crate::model::money")]
        unit_price: Decimal,
        #[serde(with = "crate::model::money")]
        qty: Decimal,
        item_account_ref: Ref,
        tax_code_ref: Ref,
        service_date: NaiveDate,
        #[serde(with = "crate::model::money")]
        discount_rate: Decimal,
        #[serde(with = "crate::model::money")]
        discount_amt: Decimal,
        #[serde(with = "crate::model::money")]
        tax_inclusive_amt: Decimal,
    }
}

model_struct! {
    /// A purchase line for an item (Bill, Purchase, VendorCredit, PurchaseOrder).
    ItemBasedExpenseLineDetail {
        item_ref: Ref,
        class_ref: Ref,
        #[serde(with = "crate::model::money")]
        unit_price: Decimal,
        #[serde(with = "crate::model::money")]
        qty: Decimal,
        tax_code_ref: Ref,
        customer_ref: Ref,
        /// `Billable`, `NotBillable` or `HasBeenBilled`.
        billable_status: String,
        #[serde(with = "crate::model::money")]
        tax_inclusive_amt: Decimal,
    }
}

model_struct! {
    /// A purchase line posted straight to an account.
    AccountBasedExpenseLineDetail {
        account_ref: Ref,
        class_ref: Ref,
        customer_ref: Ref,
        billable_status: String,
        tax_code_ref: Ref,
        #[serde(with = "crate::model::money")]
        tax_amount: Decimal,
        #[serde(with = "crate::model::money")]
        tax_inclusive_amt: Decimal,
    }
}

model_struct! {
    /// A journal line: a debit or credit to an account.
    JournalEntryLineDetail {
        /// `Debit` or `Credit`.
        posting_type: String,
        account_ref: Ref,
        /// The customer, vendor or employee the line concerns (needed on
        /// A/R and A/P lines).
        entity: JournalEntryEntity,
        class_ref: Ref,
        department_ref: Ref,
        tax_code_ref: Ref,
        tax_applicable_on: String,
        #[serde(with = "crate::model::money")]
        tax_amount: Decimal,
        billable_status: String,
        journal_code_ref: Ref,
    }
}

model_struct! {
    /// The name a journal line concerns: `{"Type": "Customer", "EntityRef": {…}}`.
    JournalEntryEntity {
        /// `Customer`, `Vendor` or `Employee`.
        r#type: String,
        entity_ref: Ref,
    }
}

model_struct! {
    /// A direct deposit line (deposits of undeposited payments use
    /// `LinkedTxn` on the line instead).
    DepositLineDetail {
        /// The payer.
        entity: Ref,
        account_ref: Ref,
        class_ref: Ref,
        payment_method_ref: Ref,
        check_num: String,
        txn_type: String,
        tax_code_ref: Ref,
        tax_applicable_on: String,
    }
}

model_struct! {
    /// A discount line on a sales form: a percentage or a fixed amount.
    DiscountLineDetail {
        percent_based: bool,
        #[serde(with = "crate::model::money")]
        discount_percent: Decimal,
        discount_account_ref: Ref,
        class_ref: Ref,
        tax_code_ref: Ref,
        service_date: NaiveDate,
    }
}

model_struct! {
    /// The subtotal line QBO adds to sales forms.
    SubTotalLineDetail {
        item_ref: Ref,
        service_date: NaiveDate,
    }
}
