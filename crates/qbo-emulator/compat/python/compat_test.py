#!/usr/bin/env python3
"""Runs the public Python QBO libraries, unmodified, against the emulator.

The libraries are python-quickbooks (the API client) and intuit-oauth
(Intuit's OAuth client, `intuitlib`), at the versions pinned in
../requirements.txt. `cargo xtask test` installs them into
target/compat/python, and the emulator's integration test runs this script
with that folder on PYTHONPATH.

The emulator's ready line (the JSON object the `qbo-emulator` binary prints
once it listens) comes from the first argument or from the environment
variable QBO_EMULATOR_READY. The emulator must run with `--seed demo
--auto-approve`, so the authorize URL redirects straight back with a code.

The libraries are pointed at the emulator only the way an app would
configure them at run time:

* intuitlib's AuthClient takes a discovery-document URL in place of the
  environment name ("sandbox"/"production") and reads every OAuth endpoint
  from that document.
* python-quickbooks builds API URLs from its `api_url_v3` attribute, which
  this script sets on the client instance.
* requests-oauthlib, which python-quickbooks uses for API calls, refuses
  plain http unless OAUTHLIB_INSECURE_TRANSPORT is set; the emulator serves
  plain http on 127.0.0.1, so the script sets it.

Each check prints one line, PASS or FAIL; the closing line is
`compat: N passed, M failed` and the exit code is non-zero on any failure.
"""

import json
import os
import sys
import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

os.environ.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")

import requests  # noqa: E402  (a dependency of both libraries)
from intuitlib.client import AuthClient  # noqa: E402
from intuitlib.enums import Scopes  # noqa: E402
from intuitlib.exceptions import AuthClientError  # noqa: E402
from quickbooks import QuickBooks  # noqa: E402
from quickbooks.batch import batch_create, batch_delete, batch_update  # noqa: E402
from quickbooks.cdc import change_data_capture  # noqa: E402
from quickbooks.exceptions import ObjectNotFoundException, QuickbooksException  # noqa: E402
from quickbooks.objects.account import Account  # noqa: E402
from quickbooks.objects.base import EmailAddress, LinkedTxn, Ref  # noqa: E402
from quickbooks.objects.bill import Bill  # noqa: E402
from quickbooks.objects.billpayment import BillPayment, BillPaymentLine, CheckPayment  # noqa: E402
from quickbooks.objects.company_info import CompanyInfo  # noqa: E402
from quickbooks.objects.creditmemo import CreditMemo  # noqa: E402
from quickbooks.objects.customer import Customer  # noqa: E402
from quickbooks.objects.department import Department  # noqa: E402
from quickbooks.objects.deposit import Deposit, DepositLine, DepositLineDetail  # noqa: E402
from quickbooks.objects.detailline import (  # noqa: E402
    AccountBasedExpenseLine,
    AccountBasedExpenseLineDetail,
    ItemBasedExpenseLine,
    ItemBasedExpenseLineDetail,
    SalesItemLine,
    SalesItemLineDetail,
)
from quickbooks.objects.employee import Employee  # noqa: E402
from quickbooks.objects.estimate import Estimate  # noqa: E402
from quickbooks.objects.invoice import Invoice  # noqa: E402
from quickbooks.objects.item import Item  # noqa: E402
from quickbooks.objects.journalentry import (  # noqa: E402
    JournalEntry,
    JournalEntryLine,
    JournalEntryLineDetail,
)
from quickbooks.objects.payment import Payment, PaymentLine  # noqa: E402
from quickbooks.objects.paymentmethod import PaymentMethod  # noqa: E402
from quickbooks.objects.preferences import Preferences  # noqa: E402
from quickbooks.objects.purchase import Purchase  # noqa: E402
from quickbooks.objects.purchaseorder import PurchaseOrder  # noqa: E402
from quickbooks.objects.salesreceipt import SalesReceipt  # noqa: E402
from quickbooks.objects.taxcode import TaxCode  # noqa: E402
from quickbooks.objects.term import Term  # noqa: E402
from quickbooks.objects.trackingclass import Class  # noqa: E402
from quickbooks.objects.vendor import Vendor  # noqa: E402
from quickbooks.objects.vendorcredit import VendorCredit  # noqa: E402


class Report:
    """Counts checks and prints one line for each."""

    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, name, condition, detail=""):
        if condition:
            self.passed += 1
            print(f"PASS python: {name}", flush=True)
        else:
            self.failed += 1
            print(f"FAIL python: {name}: {detail}", flush=True)
        return condition

    def equal(self, name, actual, expected):
        return self.check(name, actual == expected, f"expected {expected!r}, got {actual!r}")

    def money(self, name, actual, expected):
        """Compares amounts as exact decimals (the client parses with use_decimal)."""
        try:
            same = actual is not None and Decimal(str(actual)) == Decimal(expected)
        except ArithmeticError:
            same = False
        return self.check(name, same, f"expected {expected}, got {actual!r}")

    def step(self, name, action):
        """Runs one step; an exception fails it and the script goes on."""
        try:
            return action()
        except Exception as error:  # noqa: BLE001  (any failure is reported, not raised)
            self.check(name, False, describe(error))
            return None


def describe(error):
    if isinstance(error, QuickbooksException):
        return f"{type(error).__name__} code {error.error_code}: {error.message} ({error.detail})"
    if isinstance(error, AuthClientError):
        return f"AuthClientError {error.status_code}: {error.response.text}"
    return f"{type(error).__name__}: {error}"


def read_ready_line():
    text = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("QBO_EMULATOR_READY", "")
    if not text.strip():
        sys.exit("usage: compat_test.py READY_JSON (or set QBO_EMULATOR_READY)")
    return json.loads(text)


def ref(value, name=None):
    reference = Ref()
    reference.value = str(value)
    reference.name = name
    reference.type = None
    return reference


def sales_line(item, qty, unit_price):
    line = SalesItemLine()
    line.Amount = Decimal(qty) * Decimal(unit_price)
    line.Description = f"{qty} x {item.Name}"
    line.SalesItemLineDetail = SalesItemLineDetail()
    line.SalesItemLineDetail.ItemRef = item.to_ref()
    line.SalesItemLineDetail.Qty = Decimal(qty)
    line.SalesItemLineDetail.UnitPrice = Decimal(unit_price)
    line.SalesItemLineDetail.TaxCodeRef = ref("NON")
    return line


def expense_line(account, amount, description):
    line = AccountBasedExpenseLine()
    line.Amount = Decimal(amount)
    line.Description = description
    line.AccountBasedExpenseLineDetail = AccountBasedExpenseLineDetail()
    line.AccountBasedExpenseLineDetail.AccountRef = account.to_ref()
    line.AccountBasedExpenseLineDetail.TaxCodeRef = ref("NON")
    return line


def item_expense_line(item, qty, unit_price):
    line = ItemBasedExpenseLine()
    line.Amount = Decimal(qty) * Decimal(unit_price)
    line.ItemBasedExpenseLineDetail = ItemBasedExpenseLineDetail()
    line.ItemBasedExpenseLineDetail.ItemRef = item.to_ref()
    line.ItemBasedExpenseLineDetail.Qty = Decimal(qty)
    line.ItemBasedExpenseLineDetail.UnitPrice = Decimal(unit_price)
    line.ItemBasedExpenseLineDetail.TaxCodeRef = ref("NON")
    return line


def linked(txn_id, txn_type):
    link = LinkedTxn()
    link.TxnId = str(txn_id)
    link.TxnType = txn_type
    link.TxnLineId = None
    return link


def set_quantity(line, detail_name, qty, amount):
    """Changes a line's quantity and amount. Classes without a detail_dict
    entry for the line type (SalesReceipt) leave the detail as a plain dict."""
    detail = getattr(line, detail_name)
    if isinstance(detail, dict):
        detail["Qty"] = Decimal(qty)
    else:
        detail.Qty = Decimal(qty)
    line.Amount = Decimal(amount)


def real_lines(document):
    """The lines a client wrote: QBO adds a SubTotalLineDetail line to sales forms."""
    return [line for line in document.Line if line.DetailType != "SubTotalLineDetail"]


class CompatRun:
    def __init__(self, ready):
        self.ready = ready
        self.report = Report()
        self.base_url = ready["base_url"].rstrip("/")
        self.realm_id = str(ready["realm_id"])
        self.suffix = uuid.uuid4().hex[:8]
        self.qb = None
        self.auth = None
        self.first_change_time = None

    def note_change_time(self, document):
        """Remembers when this run first changed the company, for CDC."""
        if self.first_change_time is not None:
            return
        meta = getattr(document, "MetaData", None)
        # MetaData is a dict or, for a few classes, a MetaData object.
        created = meta.get("CreateTime") if isinstance(meta, dict) else getattr(meta, "CreateTime", None)
        if created:
            self.first_change_time = created

    # OAuth 2.0 with intuitlib ------------------------------------------------

    def oauth(self):
        r = self.report
        ready = self.ready
        redirect_uri = ready["redirect_uris"][0]
        auth = AuthClient(
            client_id=ready["client_id"],
            client_secret=ready["client_secret"],
            redirect_uri=redirect_uri,
            environment=ready["discovery_url"],
        )
        r.check(
            "AuthClient reads the emulator's discovery document",
            auth.token_endpoint.startswith(self.base_url)
            and auth.auth_endpoint.startswith(self.base_url),
            f"token endpoint {auth.token_endpoint}, authorize endpoint {auth.auth_endpoint}",
        )
        url = auth.get_authorization_url([Scopes.ACCOUNTING, Scopes.OPENID, Scopes.EMAIL, Scopes.PROFILE])
        # The browser step: with --auto-approve the consent page answers with
        # the redirect a click on Connect gives.
        response = requests.get(url, allow_redirects=False, timeout=30)
        r.equal("authorize URL answers with a redirect", response.status_code, 302)
        location = response.headers.get("Location", "")
        r.check(
            "the redirect goes to the registered redirect URI",
            location.startswith(redirect_uri),
            f"Location: {location!r}",
        )
        query = parse_qs(urlsplit(location).query)
        code = query.get("code", [""])[0]
        r.check("the redirect carries an authorization code", bool(code), location)
        r.equal("the redirect echoes the state", query.get("state", [""])[0], auth.state_token)
        r.equal("the redirect carries the realmId", query.get("realmId", [""])[0], self.realm_id)

        auth.get_bearer_token(code, realm_id=query.get("realmId", [None])[0])
        r.check("code exchange gives an access token", bool(auth.access_token), repr(auth.access_token))
        r.check("code exchange gives a refresh token", bool(auth.refresh_token), repr(auth.refresh_token))
        r.equal("access token lasts an hour", auth.expires_in, 3600)
        r.check(
            "refresh token expiry is given",
            isinstance(auth.x_refresh_token_expires_in, int) and auth.x_refresh_token_expires_in > 0,
            repr(auth.x_refresh_token_expires_in),
        )
        # intuitlib keeps the id_token only when it validates: issuer from the
        # discovery document, audience, expiry and the RS256 signature by a
        # key from jwks_uri.
        r.check("the id_token validates (issuer, audience, JWKS signature)", auth.id_token is not None, "dropped by intuitlib")

        userinfo = auth.get_user_info()
        r.check(
            "userinfo answers with the user's email",
            userinfo.status_code == 200 and "@" in userinfo.json().get("email", ""),
            f"{userinfo.status_code} {userinfo.text[:200]}",
        )

        try:
            auth.get_bearer_token(code)
            r.check("a used authorization code is refused", False, "the second exchange succeeded")
        except AuthClientError as error:
            r.check(
                "a used authorization code is refused",
                error.status_code == 400 and "invalid_grant" in error.response.text,
                f"{error.status_code} {error.response.text}",
            )

        first_access, first_refresh = auth.access_token, auth.refresh_token
        auth.refresh()
        r.check("refresh gives a new access token", auth.access_token not in (None, first_access), "unchanged")
        r.check("refresh rotates the refresh token", auth.refresh_token not in (None, first_refresh), "unchanged")
        self.auth = auth

    def client(self):
        qb = QuickBooks(
            auth_client=self.auth,
            refresh_token=self.auth.refresh_token,
            company_id=self.realm_id,
            minorversion=75,
            use_decimal=True,
        )
        # The one URL setting python-quickbooks has: the v3 base it prefixes
        # to /company/{realm}/...
        qb.api_url_v3 = f"{self.base_url}/v3"
        self.qb = qb

    # Company settings and read-only lists ----------------------------------

    def settings(self):
        r, qb = self.report, self.qb
        info = CompanyInfo.get(self.realm_id, qb=qb)
        r.check("CompanyInfo read", bool(info.CompanyName) and str(info.Id) != "", f"{info.to_dict()}"[:300])
        preferences = Preferences.get(qb=qb)
        r.check(
            "Preferences read",
            getattr(preferences, "SalesFormsPrefs", None) is not None
            and getattr(preferences, "AccountingInfoPrefs", None) is not None,
            f"{preferences.to_dict()}"[:300],
        )
        codes = TaxCode.all(qb=qb)
        if r.check("TaxCode query", len(codes) > 0, "no tax codes"):
            code = TaxCode.get(codes[0].Id, qb=qb)
            r.equal("TaxCode read", code.Name, codes[0].Name)

    def references(self):
        """Seeded accounts the transactions post to, found with the lib's query helpers."""
        qb = self.qb

        def first(account_type, sub_type=None):
            where = f"AccountType = '{account_type}'"
            if sub_type:
                where += f" AND AccountSubType = '{sub_type}'"
            found = Account.where(where, qb=qb)
            if not found:
                raise AssertionError(f"the seeded company has no active {account_type} account")
            return found[0]

        self.bank = first("Bank")
        self.income = first("Income")
        self.expense = first("Expense")
        self.report.check("seeded bank, income and expense accounts found by query", True)

    # Name lists: create, read, full update, inactivate ---------------------

    def name_list(self, cls, make, change, verify):
        """Create, read back, update through a full save, then inactivate."""
        r, qb = self.report, self.qb
        label = cls.qbo_object_name
        created = make().save(qb=qb)
        self.note_change_time(created)
        r.check(f"{label} create", bool(created.Id), "no Id")
        r.equal(f"{label} create SyncToken", str(created.SyncToken), "0")
        read = cls.get(created.Id, qb=qb)
        r.equal(f"{label} read Id", str(read.Id), str(created.Id))
        change(read)
        updated = read.save(qb=qb)
        r.equal(f"{label} update SyncToken", str(updated.SyncToken), "1")
        verify(f"{label} update read back", cls.get(created.Id, qb=qb))
        current = cls.get(created.Id, qb=qb)
        current.Active = False
        inactive = current.save(qb=qb)
        r.check(f"{label} inactivate", inactive.Active is False, f"Active {inactive.Active!r}")
        r.equal(f"{label} inactivate SyncToken", str(inactive.SyncToken), "2")
        hidden = cls.where(f"Id = '{created.Id}'", qb=qb)
        shown = cls.where(f"Id = '{created.Id}' AND Active = false", qb=qb)
        r.check(
            f"{label} inactive hidden from plain queries, found with Active = false",
            len(hidden) == 0 and len(shown) == 1,
            f"plain query {len(hidden)} rows, Active = false query {len(shown)} rows",
        )
        return created

    def name_lists(self):
        r, s = self.report, self.suffix

        def account():
            a = Account()
            a.Name = f"Compat Supplies {s}"
            a.AccountType = "Expense"
            a.AccountSubType = "SuppliesMaterials"
            return a

        def account_change(a):
            a.Description = "Changed by python-quickbooks"

        r.step("Account name list", lambda: self.name_list(
            Account, account, account_change,
            lambda name, a: r.equal(name, a.Description, "Changed by python-quickbooks")))

        def customer():
            c = Customer()
            c.DisplayName = f"Compat Customer {s}"
            c.GivenName = "Casey"
            c.FamilyName = "Compat"
            c.PrimaryEmailAddr = EmailAddress()
            c.PrimaryEmailAddr.Address = "casey@example.com"
            return c

        def customer_change(c):
            c.CompanyName = "Compat Holdings"

        r.step("Customer name list", lambda: self.name_list(
            Customer, customer, customer_change,
            lambda name, c: r.equal(name, c.CompanyName, "Compat Holdings")))

        def vendor():
            v = Vendor()
            v.DisplayName = f"Compat Vendor {s}"
            v.CompanyName = "Compat Supply Co"
            return v

        def vendor_change(v):
            v.AcctNum = "ACCT-77"

        r.step("Vendor name list", lambda: self.name_list(
            Vendor, vendor, vendor_change, lambda name, v: r.equal(name, v.AcctNum, "ACCT-77")))

        def employee():
            e = Employee()
            e.GivenName = "Emery"
            e.FamilyName = f"Compat{s}"
            return e

        def employee_change(e):
            e.EmployeeNumber = "E-42"

        r.step("Employee name list", lambda: self.name_list(
            Employee, employee, employee_change,
            lambda name, e: r.equal(name, e.EmployeeNumber, "E-42")))

        def item():
            i = Item()
            i.Name = f"Compat Service {s}"
            i.Type = "Service"
            i.UnitPrice = Decimal("40.00")
            i.IncomeAccountRef = self.income.to_ref()
            return i

        def item_change(i):
            i.UnitPrice = Decimal("45.50")

        r.step("Item name list", lambda: self.name_list(
            Item, item, item_change, lambda name, i: r.money(name, i.UnitPrice, "45.50")))

        def tracking_class():
            c = Class()
            c.Name = f"Compat Class {s}"
            return c

        def class_change(c):
            c.Name = f"Compat Class {s} renamed"

        r.step("Class name list", lambda: self.name_list(
            Class, tracking_class, class_change,
            lambda name, c: r.equal(name, c.Name, f"Compat Class {s} renamed")))

        def department():
            d = Department()
            d.Name = f"Compat Location {s}"
            return d

        def department_change(d):
            d.Name = f"Compat Location {s} renamed"

        r.step("Department name list", lambda: self.name_list(
            Department, department, department_change,
            lambda name, d: r.equal(name, d.Name, f"Compat Location {s} renamed")))

        def term():
            t = Term()
            t.Name = f"Net 45 {s}"
            t.DueDays = 45
            return t

        def term_change(t):
            t.DueDays = 60

        r.step("Term name list", lambda: self.name_list(
            Term, term, term_change, lambda name, t: r.equal(name, int(t.DueDays), 60)))

        def payment_method():
            p = PaymentMethod()
            p.Name = f"Compat Card {s}"
            p.Type = "CREDIT_CARD"
            return p

        def payment_method_change(p):
            p.Name = f"Compat Card {s} renamed"

        r.step("PaymentMethod name list", lambda: self.name_list(
            PaymentMethod, payment_method, payment_method_change,
            lambda name, p: r.equal(name, p.Name, f"Compat Card {s} renamed")))

    def working_names(self):
        """Active names the transactions use."""
        qb, s = self.qb, self.suffix
        customer = Customer()
        customer.DisplayName = f"Compat Buyer {s}"
        self.customer = customer.save(qb=qb)
        vendor = Vendor()
        vendor.DisplayName = f"Compat Seller {s}"
        self.vendor = vendor.save(qb=qb)
        item = Item()
        item.Name = f"Compat Consulting {s}"
        item.Type = "Service"
        item.UnitPrice = Decimal("40.00")
        item.IncomeAccountRef = self.income.to_ref()
        item.ExpenseAccountRef = self.expense.to_ref()
        self.item = item.save(qb=qb)
        self.note_change_time(self.customer)
        self.report.check("customer, vendor and item for the transactions created", all(
            x.Id for x in (self.customer, self.vendor, self.item)))

    def retries_and_conflicts(self):
        """A repeated requestid replays the first answer; a stale SyncToken is refused."""
        r, qb = self.report, self.qb
        request_id = uuid.uuid4().hex
        name = f"Compat Retry {self.suffix}"
        first = Customer()
        first.DisplayName = name
        first = first.save(qb=qb, request_id=request_id)
        again = Customer()
        again.DisplayName = name
        again = again.save(qb=qb, request_id=request_id)
        r.equal("a create repeated with the same requestid returns the first object", str(again.Id), str(first.Id))
        r.equal("a create repeated with the same requestid creates nothing more",
                len(Customer.filter(DisplayName=name, qb=qb)), 1)

        stale = Customer.get(first.Id, qb=qb)
        fresh = Customer.get(first.Id, qb=qb)
        fresh.Notes = "first writer"
        fresh.save(qb=qb)
        stale.Notes = "second writer"
        try:
            stale.save(qb=qb)
            r.check("an update with a stale SyncToken is refused with 5010", False, "the update succeeded")
        except QuickbooksException as error:
            r.equal("an update with a stale SyncToken is refused with 5010", error.error_code, 5010)
        r.equal("the refused update changed nothing", Customer.get(first.Id, qb=qb).Notes, "first writer")

    # Transactions ------------------------------------------------------------

    def deleted(self, cls, document):
        """Deletes a transaction and checks that it is gone."""
        r, qb = self.report, self.qb
        label = cls.qbo_object_name
        current = cls.get(document.Id, qb=qb)
        result = current.delete(qb=qb)
        r.equal(f"{label} delete status", result.get(label, {}).get("status"), "Deleted")
        try:
            cls.get(document.Id, qb=qb)
            r.check(f"{label} read after delete is 610", False, "the object can still be read")
        except ObjectNotFoundException as error:
            r.equal(f"{label} read after delete is 610", error.error_code, 610)

    def void(self, cls, document):
        """Voids through the lib's VoidMixin; the SyncToken goes up by one."""
        label = cls.qbo_object_name
        current = cls.get(document.Id, qb=self.qb)
        voided = current.void(qb=self.qb)[label]
        self.report.equal(f"{label} void SyncToken", str(voided.get("SyncToken")), str(int(current.SyncToken) + 1))
        return voided

    def transaction(self, cls, make, total, change, changed_total, remove=True, measure=None):
        """Create, read back, full update with a recomputed total, delete.

        `measure` names and reads the amount to compare, TotalAmt by default.
        """
        r, qb = self.report, self.qb
        label = cls.qbo_object_name
        what, amount = measure or ("TotalAmt", lambda document: document.TotalAmt)
        created = make().save(qb=qb)
        r.check(f"{label} create", bool(created.Id), "no Id")
        r.equal(f"{label} create SyncToken", str(created.SyncToken), "0")
        r.money(f"{label} create {what}", amount(created), total)
        read = cls.get(created.Id, qb=qb)
        r.money(f"{label} read {what}", amount(read), total)
        change(read)
        updated = read.save(qb=qb)
        r.equal(f"{label} update SyncToken", str(updated.SyncToken), "1")
        r.money(f"{label} update {what}", amount(updated), changed_total)
        r.money(f"{label} update read back", amount(cls.get(created.Id, qb=qb)), changed_total)
        if remove:
            self.deleted(cls, created)
        return created

    def invoice_and_payment(self):
        r, qb = self.report, self.qb

        def make():
            invoice = Invoice()
            invoice.CustomerRef = self.customer.to_ref()
            invoice.Line = [sales_line(self.item, 2, "40.00"), sales_line(self.item, 1, "25.50")]
            return invoice

        def change(invoice):
            set_quantity(real_lines(invoice)[1], "SalesItemLineDetail", 2, "51.00")
            invoice.PrivateNote = "second line doubled"

        invoice = self.transaction(Invoice, make, "105.50", change, "131.00", remove=False)
        r.money("Invoice Balance equals TotalAmt", Invoice.get(invoice.Id, qb=qb).Balance, "131.00")

        payment = Payment()
        payment.CustomerRef = self.customer.to_ref()
        payment.TotalAmt = Decimal("50.00")
        applied = PaymentLine()
        applied.Amount = Decimal("50.00")
        applied.LinkedTxn = [linked(invoice.Id, "Invoice")]
        payment.Line = [applied]
        payment = payment.save(qb=qb)
        r.money("Payment create TotalAmt", payment.TotalAmt, "50.00")
        r.money("Payment lowers the invoice Balance", Invoice.get(invoice.Id, qb=qb).Balance, "81.00")
        payment = Payment.get(payment.Id, qb=qb)
        payment.PaymentRefNum = "CHK-1001"
        payment = payment.save(qb=qb)
        r.equal("Payment update SyncToken", str(payment.SyncToken), "1")
        r.equal("Payment update read back", Payment.get(payment.Id, qb=qb).PaymentRefNum, "CHK-1001")
        voided = self.void(Payment, payment)
        r.money("Payment void zeroes TotalAmt", voided.get("TotalAmt"), "0")
        r.money("voiding the Payment restores the invoice Balance", Invoice.get(invoice.Id, qb=qb).Balance, "131.00")
        self.deleted(Payment, payment)

        voided = self.void(Invoice, invoice)
        r.money("Invoice void zeroes TotalAmt", voided.get("TotalAmt"), "0")
        r.money("Invoice void zeroes Balance", voided.get("Balance"), "0")
        self.deleted(Invoice, invoice)

    def sales_receipt(self):
        r, qb = self.report, self.qb

        def make():
            receipt = SalesReceipt()
            receipt.CustomerRef = self.customer.to_ref()
            receipt.DepositToAccountRef = self.bank.to_ref()
            receipt.Line = [sales_line(self.item, 3, "20.00")]
            return receipt

        def change(receipt):
            set_quantity(real_lines(receipt)[0], "SalesItemLineDetail", 4, "80.00")

        receipt = self.transaction(SalesReceipt, make, "60.00", change, "80.00", remove=False)
        voided = self.void(SalesReceipt, receipt)
        r.money("SalesReceipt void zeroes TotalAmt", voided.get("TotalAmt"), "0")
        self.deleted(SalesReceipt, receipt)

    def estimate(self):
        def make():
            estimate = Estimate()
            estimate.CustomerRef = self.customer.to_ref()
            estimate.Line = [sales_line(self.item, 5, "40.00")]
            return estimate

        def change(estimate):
            set_quantity(real_lines(estimate)[0], "SalesItemLineDetail", 6, "240.00")

        self.transaction(Estimate, make, "200.00", change, "240.00")

    def credit_memo(self):
        def make():
            memo = CreditMemo()
            memo.CustomerRef = self.customer.to_ref()
            memo.Line = [sales_line(self.item, 1, "15.75")]
            return memo

        def change(memo):
            set_quantity(real_lines(memo)[0], "SalesItemLineDetail", 2, "31.50")

        self.transaction(CreditMemo, make, "15.75", change, "31.50")

    def bill_and_payment(self):
        r, qb = self.report, self.qb

        def make():
            bill = Bill()
            bill.VendorRef = self.vendor.to_ref()
            bill.Line = [expense_line(self.expense, "200.00", "Office chairs")]
            return bill

        def change(bill):
            bill.Line[0].Amount = Decimal("250.00")

        bill = self.transaction(Bill, make, "200.00", change, "250.00", remove=False)
        r.money("Bill Balance equals TotalAmt", Bill.get(bill.Id, qb=qb).Balance, "250.00")

        payment = BillPayment()
        payment.VendorRef = self.vendor.to_ref()
        payment.PayType = "Check"
        payment.TotalAmt = Decimal("100.00")
        payment.CheckPayment = CheckPayment()
        payment.CheckPayment.BankAccountRef = self.bank.to_ref()
        paid = BillPaymentLine()
        paid.Amount = Decimal("100.00")
        paid.LinkedTxn = [linked(bill.Id, "Bill")]
        payment.Line = [paid]
        payment = payment.save(qb=qb)
        r.money("BillPayment create TotalAmt", payment.TotalAmt, "100.00")
        r.money("BillPayment lowers the bill Balance", Bill.get(bill.Id, qb=qb).Balance, "150.00")
        payment = BillPayment.get(payment.Id, qb=qb)
        payment.PrivateNote = "paid by check"
        payment = payment.save(qb=qb)
        r.equal("BillPayment update SyncToken", str(payment.SyncToken), "1")
        r.equal("BillPayment update read back", BillPayment.get(payment.Id, qb=qb).PrivateNote, "paid by check")
        voided = self.void(BillPayment, payment)
        r.money("BillPayment void zeroes TotalAmt", voided.get("TotalAmt"), "0")
        r.money("voiding the BillPayment restores the bill Balance", Bill.get(bill.Id, qb=qb).Balance, "250.00")
        self.deleted(BillPayment, payment)
        self.deleted(Bill, bill)

    def purchase(self):
        def make():
            purchase = Purchase()
            purchase.PaymentType = "Cash"
            purchase.AccountRef = self.bank.to_ref()
            purchase.Line = [expense_line(self.expense, "35.25", "Printer paper")]
            return purchase

        def change(purchase):
            purchase.Line[0].Amount = Decimal("36.75")

        self.transaction(Purchase, make, "35.25", change, "36.75")

    def vendor_credit(self):
        def make():
            credit = VendorCredit()
            credit.VendorRef = self.vendor.to_ref()
            credit.Line = [expense_line(self.expense, "20.00", "Returned chair")]
            return credit

        def change(credit):
            credit.Line[0].Amount = Decimal("22.40")

        self.transaction(VendorCredit, make, "20.00", change, "22.40")

    def purchase_order(self):
        def make():
            order = PurchaseOrder()
            order.VendorRef = self.vendor.to_ref()
            order.Line = [item_expense_line(self.item, 4, "30.00")]
            return order

        def change(order):
            set_quantity(order.Line[0], "ItemBasedExpenseLineDetail", 5, "150.00")

        self.transaction(PurchaseOrder, make, "120.00", change, "150.00")

    def deposit(self):
        def make():
            deposit = Deposit()
            deposit.DepositToAccountRef = self.bank.to_ref()
            line = DepositLine()
            line.Amount = Decimal("300.00")
            line.DepositLineDetail = DepositLineDetail()
            line.DepositLineDetail.AccountRef = self.income.to_ref()
            deposit.Line = [line]
            return deposit

        def change(deposit):
            deposit.Line[0].Amount = Decimal("325.10")

        self.transaction(Deposit, make, "300.00", change, "325.10")

    def journal_entry(self):
        def entry_line(posting_type, account, amount):
            line = JournalEntryLine()
            line.Amount = Decimal(amount)
            line.Description = f"{posting_type} {account.Name}"
            line.JournalEntryLineDetail = JournalEntryLineDetail()
            line.JournalEntryLineDetail.PostingType = posting_type
            line.JournalEntryLineDetail.AccountRef = account.to_ref()
            return line

        def make():
            entry = JournalEntry()
            entry.Line = [
                entry_line("Debit", self.expense, "75.00"),
                entry_line("Credit", self.bank, "75.00"),
            ]
            return entry

        def change(entry):
            for line in entry.Line:
                line.Amount = Decimal("80.00")

        def debits(entry):
            return sum(
                Decimal(str(line.Amount))
                for line in entry.Line
                if line.JournalEntryLineDetail.PostingType == "Debit"
            )

        # Intuit documents JournalEntry.TotalAmt as always zero and its
        # samples leave it out, so the entry is measured by its debit lines.
        self.transaction(JournalEntry, make, "75.00", change, "80.00", measure=("debit total", debits))

    # Query paging, CDC, batch ----------------------------------------------

    def paging(self):
        r, qb = self.report, self.qb
        for cls, page_size in ((Customer, 7), (Invoice, 25)):
            label = cls.qbo_object_name
            total = cls.count(qb=qb)
            r.check(f"{label} COUNT(*) over the seeded company", isinstance(total, int) and total > page_size,
                    f"totalCount {total!r}")
            ids, start, pages = [], 1, 0
            while pages < 1000:
                page = cls.filter(order_by="Id", start_position=start, max_results=page_size, qb=qb)
                pages += 1
                if len(page) > page_size:
                    r.check(f"{label} page size at most MAXRESULTS", False, f"{len(page)} rows")
                    break
                ids.extend(str(x.Id) for x in page)
                if len(page) < page_size:
                    break
                start += page_size
            r.equal(f"{label} paging with STARTPOSITION/MAXRESULTS returns every row once", len(set(ids)), total)
            r.equal(f"{label} pages do not overlap", len(ids), len(set(ids)))
            everything = cls.all(max_results=1000, qb=qb)
            r.equal(f"{label} MAXRESULTS 1000 returns all rows", len(everything), min(total, 1000))

    def cdc(self):
        r, qb = self.report, self.qb
        if not self.first_change_time:
            r.check("CDC", False, "no create time was recorded")
            return
        since = datetime.fromisoformat(self.first_change_time) - timedelta(seconds=1)
        response = change_data_capture([Invoice, Customer, Bill, Item], since.isoformat(), qb=qb)
        customers = {str(c.Id) for c in getattr(response, "Customer", [])}
        r.check("CDC returns the customer created in this run", str(self.customer.Id) in customers,
                f"Customer ids {sorted(customers)[:20]}")
        items = {str(i.Id) for i in getattr(response, "Item", [])}
        r.check("CDC returns the item created in this run", str(self.item.Id) in items, f"Item ids {sorted(items)[:20]}")
        invoices = list(getattr(response, "Invoice", []))
        deleted = [i for i in invoices if getattr(i, "status", None) == "Deleted"]
        r.check("CDC returns the deleted invoice with status Deleted", len(deleted) >= 1,
                f"{len(invoices)} invoices, none with status Deleted")
        bills = [b for b in getattr(response, "Bill", []) if getattr(b, "status", None) == "Deleted"]
        r.check("CDC returns the deleted bill with status Deleted", len(bills) >= 1, "none with status Deleted")

    def batch(self):
        r, qb, s = self.report, self.qb, self.suffix
        vendors = []
        for n in range(3):
            v = Vendor()
            v.DisplayName = f"Batch Vendor {n} {s}"
            vendors.append(v)
        created = batch_create(vendors, qb=qb)
        r.equal("batch create: three successes", len(created.successes), 3)
        r.equal("batch create: no faults", len(created.faults), 0)
        r.check("batch create: every vendor has an Id", all(v.Id for v in created.successes), "missing Id")
        names = sorted(v.DisplayName for v in created.successes)
        r.equal("batch create: names read back", names, sorted(v.DisplayName for v in vendors))

        stale = [Vendor.get(v.Id, qb=qb) for v in created.successes]
        for v in created.successes:
            v.CompanyName = "Batch Co"
        updated = batch_update(created.successes, qb=qb)
        r.equal("batch update: three successes", len(updated.successes), 3)
        r.check("batch update: SyncToken 1 and the new value",
                all(str(v.SyncToken) == "1" and v.CompanyName == "Batch Co" for v in updated.successes),
                [(v.SyncToken, v.CompanyName) for v in updated.successes])

        stale[0].CompanyName = "Stale write"
        conflict = batch_update(stale[:1], qb=qb)
        codes = [str(e.code) for fault in conflict.faults for e in fault.Error]
        r.check("batch update with a stale SyncToken faults with 5010", codes == ["5010"],
                f"faults {codes}, successes {len(conflict.successes)}")

        receipts = []
        for amount in ("11.00", "12.00"):
            receipt = Purchase()
            receipt.PaymentType = "Cash"
            receipt.AccountRef = self.bank.to_ref()
            receipt.Line = [expense_line(self.expense, amount, "batch purchase")]
            receipts.append(receipt)
        made = batch_create(receipts, qb=qb)
        r.check("batch create of two purchases", len(made.successes) == 2 and not made.faults,
                f"{len(made.successes)} successes, faults {[str(e) for f in made.faults for e in f.Error]}")
        totals = sorted(Decimal(str(p.TotalAmt)) for p in made.successes)
        r.equal("batch create: purchase totals", totals, [Decimal("11.00"), Decimal("12.00")])
        removed = batch_delete(made.successes, qb=qb)
        r.check("batch delete of two purchases",
                len(removed.successes) == 2 and all(getattr(p, "status", None) == "Deleted" for p in removed.successes),
                f"{[(getattr(p, 'status', None), p.Id) for p in removed.successes]}, "
                f"faults {[str(e) for f in removed.faults for e in f.Error]}")

    def run(self):
        r = self.report
        r.step("OAuth authorization-code flow", self.oauth)
        if self.auth is None or not self.auth.access_token:
            r.check("API calls", False, "no access token, so the API checks cannot run")
            return
        self.client()
        r.step("company settings", self.settings)
        r.step("seeded accounts", self.references)
        if not all(hasattr(self, name) for name in ("bank", "income", "expense")):
            return
        self.name_lists()
        r.step("working names", self.working_names)
        if not all(hasattr(self, name) for name in ("customer", "vendor", "item")):
            return
        for name, action in (
            ("requestid and SyncToken conflicts", self.retries_and_conflicts),
            ("Invoice and Payment", self.invoice_and_payment),
            ("SalesReceipt", self.sales_receipt),
            ("Estimate", self.estimate),
            ("CreditMemo", self.credit_memo),
            ("Bill and BillPayment", self.bill_and_payment),
            ("Purchase", self.purchase),
            ("VendorCredit", self.vendor_credit),
            ("PurchaseOrder", self.purchase_order),
            ("Deposit", self.deposit),
            ("JournalEntry", self.journal_entry),
            ("query paging", self.paging),
            ("CDC", self.cdc),
            ("batch", self.batch),
        ):
            r.step(name, action)


def main():
    run = CompatRun(read_ready_line())
    run.run()
    report = run.report
    print(f"compat: {report.passed} passed, {report.failed} failed", flush=True)
    sys.exit(1 if report.failed else 0)


if __name__ == "__main__":
    main()
