//! The twelve transaction types (API.md §3.7). Each has the shared header
//! (`DocNumber`, `TxnDate`, `TotalAmt`, `Line`, …) and its own key fields;
//! everything else stays in `extra`.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::Ref;
use super::common::{model_struct, transaction_struct};

transaction_struct! {
    /// A customer invoice.
    Invoice {
        customer_ref: Ref,
        /// The open amount; computed by QBO.
        #[serde(with = "crate::model::money")]
        balance: Decimal,
        #[serde(with = "crate::model::money")]
        home_balance: Decimal,
        due_date: NaiveDate,
        ship_date: NaiveDate,
        sales_term_ref: Ref,
        class_ref: Ref,
        #[serde(rename = "ARAccountRef")]
        ar_account_ref: Ref,
        deposit_to_account_ref: Ref,
        /// An amount paid up front against the invoice.
        #[serde(with = "crate::model::money")]
        deposit: Decimal,
        print_status: String,
        email_status: String,
        apply_tax_after_discount: bool,
        global_tax_calculation: String,
    }
}

transaction_struct! {
    /// A sale paid on the spot.
    SalesReceipt {
        customer_ref: Ref,
        #[serde(with = "crate::model::money")]
        balance: Decimal,
        deposit_to_account_ref: Ref,
        payment_method_ref: Ref,
        payment_ref_num: String,
        class_ref: Ref,
        ship_date: NaiveDate,
        print_status: String,
        email_status: String,
        apply_tax_after_discount: bool,
        global_tax_calculation: String,
    }
}

transaction_struct! {
    /// A quote to a customer; non-posting.
    Estimate {
        customer_ref: Ref,
        /// `Pending`, `Accepted`, `Closed` or `Rejected`.
        txn_status: String,
        expiration_date: NaiveDate,
        accepted_by: String,
        accepted_date: NaiveDate,
        due_date: NaiveDate,
        ship_date: NaiveDate,
        sales_term_ref: Ref,
        class_ref: Ref,
        print_status: String,
        email_status: String,
        apply_tax_after_discount: bool,
        global_tax_calculation: String,
    }
}

transaction_struct! {
    /// A credit to a customer.
    CreditMemo {
        customer_ref: Ref,
        #[serde(with = "crate::model::money")]
        balance: Decimal,
        /// The credit not yet applied; computed by QBO.
        #[serde(with = "crate::model::money")]
        remaining_credit: Decimal,
        class_ref: Ref,
        #[serde(rename = "ARAccountRef")]
        ar_account_ref: Ref,
        print_status: String,
        email_status: String,
        apply_tax_after_discount: bool,
        global_tax_calculation: String,
    }
}

transaction_struct! {
    /// A payment received from a customer; its lines link the invoices it pays.
    Payment {
        customer_ref: Ref,
        /// The part not applied to any invoice; computed by QBO.
        #[serde(with = "crate::model::money")]
        unapplied_amt: Decimal,
        deposit_to_account_ref: Ref,
        payment_method_ref: Ref,
        payment_ref_num: String,
        #[serde(rename = "ARAccountRef")]
        ar_account_ref: Ref,
        process_payment: bool,
    }
}

transaction_struct! {
    /// A bill from a vendor.
    Bill {
        vendor_ref: Ref,
        #[serde(rename = "APAccountRef")]
        ap_account_ref: Ref,
        sales_term_ref: Ref,
        due_date: NaiveDate,
        /// The open amount; computed by QBO.
        #[serde(with = "crate::model::money")]
        balance: Decimal,
    }
}

model_struct! {
    /// How a check bill payment was paid.
    CheckPayment {
        bank_account_ref: Ref,
        print_status: String,
    }
}

model_struct! {
    /// How a credit-card bill payment was paid.
    CreditCardPayment {
        #[serde(rename = "CCAccountRef")]
        cc_account_ref: Ref,
    }
}

transaction_struct! {
    /// A payment to a vendor; its lines link the bills it pays.
    BillPayment {
        vendor_ref: Ref,
        /// `Check` or `CreditCard`.
        pay_type: String,
        check_payment: CheckPayment,
        credit_card_payment: CreditCardPayment,
        #[serde(rename = "APAccountRef")]
        ap_account_ref: Ref,
    }
}

transaction_struct! {
    /// An expense, check or credit-card charge.
    Purchase {
        /// `Cash`, `Check` or `CreditCard`.
        payment_type: String,
        /// The bank or credit-card account paid from.
        account_ref: Ref,
        /// The payee (vendor, customer or employee); its `type` stays in the
        /// reference's `extra`.
        entity_ref: Ref,
        /// True for a credit-card refund.
        credit: bool,
        print_status: String,
        payment_method_ref: Ref,
    }
}

transaction_struct! {
    /// A credit from a vendor.
    VendorCredit {
        vendor_ref: Ref,
        #[serde(rename = "APAccountRef")]
        ap_account_ref: Ref,
        #[serde(with = "crate::model::money")]
        balance: Decimal,
    }
}

transaction_struct! {
    /// An order to a vendor; non-posting.
    PurchaseOrder {
        vendor_ref: Ref,
        #[serde(rename = "APAccountRef")]
        ap_account_ref: Ref,
        /// `Open` or `Closed`.
        #[serde(rename = "POStatus")]
        po_status: String,
        due_date: NaiveDate,
        ship_method_ref: Ref,
        sales_term_ref: Ref,
    }
}

model_struct! {
    /// Cash kept back from a deposit.
    CashBack {
        account_ref: Ref,
        #[serde(with = "crate::model::money")]
        amount: Decimal,
        memo: String,
    }
}

transaction_struct! {
    /// Money put into a bank account.
    Deposit {
        deposit_to_account_ref: Ref,
        cash_back: CashBack,
    }
}

transaction_struct! {
    /// A journal entry; its debits equal its credits.
    JournalEntry {
        adjustment: bool,
    }
}
