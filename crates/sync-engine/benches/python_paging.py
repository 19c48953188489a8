#!/usr/bin/env python3
"""Pages a whole company with python-quickbooks' own classes: the comparison
the sync benchmark reports beside Ledgerlink's first sync.

The emulator's ready line (the JSON object the `qbo-emulator` binary prints
once it listens, run with `--auto-approve`) is the first argument. The
script connects with intuitlib, then reads every type Ledgerlink syncs with
the same statements, in the same order (pages of 1,000 by Id), each page
built into python-quickbooks objects with exact decimals. It prints one
JSON line: {"objects": n, "pages": p, "seconds": s}, where the time covers
the paging only, not the connection.

The libraries come from PYTHONPATH (`cargo xtask test` installs them into
target/compat/python).
"""

import json
import os
import sys
import time
from urllib.parse import parse_qs, urlsplit

os.environ.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")

import requests  # noqa: E402
from intuitlib.client import AuthClient  # noqa: E402
from intuitlib.enums import Scopes  # noqa: E402
from quickbooks import QuickBooks  # noqa: E402
from quickbooks.objects.account import Account  # noqa: E402
from quickbooks.objects.bill import Bill  # noqa: E402
from quickbooks.objects.billpayment import BillPayment  # noqa: E402
from quickbooks.objects.company_info import CompanyInfo  # noqa: E402
from quickbooks.objects.creditmemo import CreditMemo  # noqa: E402
from quickbooks.objects.customer import Customer  # noqa: E402
from quickbooks.objects.department import Department  # noqa: E402
from quickbooks.objects.deposit import Deposit  # noqa: E402
from quickbooks.objects.employee import Employee  # noqa: E402
from quickbooks.objects.estimate import Estimate  # noqa: E402
from quickbooks.objects.invoice import Invoice  # noqa: E402
from quickbooks.objects.item import Item  # noqa: E402
from quickbooks.objects.journalentry import JournalEntry  # noqa: E402
from quickbooks.objects.payment import Payment  # noqa: E402
from quickbooks.objects.paymentmethod import PaymentMethod  # noqa: E402
from quickbooks.objects.preferences import Preferences  # noqa: E402
from quickbooks.objects.purchase import Purchase  # noqa: E402
from quickbooks.objects.purchaseorder import PurchaseOrder  # noqa: E402
from quickbooks.objects.salesreceipt import SalesReceipt  # noqa: E402
from quickbooks.objects.taxcode import TaxCode  # noqa: E402
from quickbooks.objects.taxrate import TaxRate  # noqa: E402
from quickbooks.objects.term import Term  # noqa: E402
from quickbooks.objects.trackingclass import Class  # noqa: E402
from quickbooks.objects.vendor import Vendor  # noqa: E402
from quickbooks.objects.vendorcredit import VendorCredit  # noqa: E402

PAGE = 1000

# The lists first, as Ledgerlink reads them; lists with an Active flag are
# asked for inactive entries too.
LISTS = [Account, Class, Department, Term, PaymentMethod, TaxCode, TaxRate, Customer, Vendor, Employee, Item]
TRANSACTIONS = [
    Estimate, Invoice, SalesReceipt, CreditMemo, Payment, PurchaseOrder,
    Bill, VendorCredit, Purchase, BillPayment, Deposit, JournalEntry,
]


def connect(ready):
    base_url = ready["base_url"].rstrip("/")
    auth = AuthClient(
        client_id=ready["client_id"],
        client_secret=ready["client_secret"],
        redirect_uri=ready["redirect_uris"][0],
        environment=ready["discovery_url"],
    )
    url = auth.get_authorization_url([Scopes.ACCOUNTING])
    location = requests.get(url, allow_redirects=False, timeout=30).headers["Location"]
    query = parse_qs(urlsplit(location).query)
    auth.get_bearer_token(query["code"][0], realm_id=query["realmId"][0])
    qb = QuickBooks(
        auth_client=auth,
        refresh_token=auth.refresh_token,
        company_id=str(ready["realm_id"]),
        minorversion=75,
        use_decimal=True,
    )
    qb.api_url_v3 = f"{base_url}/v3"
    return qb


def page_all(cls, qb, active_filter):
    """Every object of one class, by Id pages; returns (objects, pages)."""
    name = cls.qbo_object_name
    objects = pages = 0
    last = None
    while True:
        conditions = []
        if active_filter:
            conditions.append("Active IN (true, false)")
        if last is not None:
            conditions.append(f"Id > '{last}'")
        where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
        statement = f"SELECT * FROM {name}{where} ORDERBY Id ASC STARTPOSITION 1 MAXRESULTS {PAGE}"
        rows = cls.query(statement, qb=qb)
        pages += 1
        objects += len(rows)
        if len(rows) < PAGE:
            return objects, pages
        last = rows[-1].Id


def main():
    ready = json.loads(sys.argv[1])
    qb = connect(ready)
    started = time.perf_counter()
    objects = pages = 0
    for cls in LISTS + TRANSACTIONS:
        count, asked = page_all(cls, qb, cls in LISTS)
        objects += count
        pages += asked
    # The company's own settings, each the way the library reads it.
    objects += len(CompanyInfo.all(qb=qb))
    Preferences.get(qb=qb)
    objects += 1
    pages += 2
    seconds = time.perf_counter() - started
    print(json.dumps({"objects": objects, "pages": pages, "seconds": seconds}))


if __name__ == "__main__":
    main()
