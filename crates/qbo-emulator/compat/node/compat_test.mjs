// Runs the public Node QBO libraries, unmodified, against the emulator.
//
// The libraries are node-quickbooks (the API client) and intuit-oauth
// (Intuit's OAuthClient), at the versions pinned in ../node-packages.txt.
// `cargo xtask test` installs them into target/compat/node, and the
// emulator's integration test runs this script with NODE_PATH set to
// target/compat/node/node_modules (CommonJS resolution, used here through
// createRequire, honours NODE_PATH; ES `import` would not).
//
// The emulator's ready line (the JSON object the `qbo-emulator` binary prints
// once it listens) comes from the first argument or from the environment
// variable QBO_EMULATOR_READY. The emulator must run with `--seed demo
// --auto-approve`, so the authorize URL redirects straight back with a code.
//
// The libraries are pointed at the emulator only the way an app configures
// them at run time:
// * intuit-oauth: `setAuthorizeURLs` (its documented hook for custom
//   authorize, token, revoke and userinfo URLs) with the endpoints of the
//   emulator's discovery document, and the static `OAuthClient.jwks_uri`.
// * node-quickbooks: the static `QuickBooks.V3_ENDPOINT_BASE_URL` (the API
//   base every request URL starts with) and `QuickBooks.TOKEN_URL` (used by
//   its own refreshAccessToken).
//
// Each check prints one line, PASS or FAIL; the closing line is
// `compat: N passed, M failed` and the exit code is non-zero on any failure.

import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';

const require = createRequire(import.meta.url);
const QuickBooks = require('node-quickbooks');
const OAuthClient = require('intuit-oauth');

const report = { passed: 0, failed: 0 };

function check(name, condition, detail = '') {
  if (condition) {
    report.passed += 1;
    console.log(`PASS node: ${name}`);
  } else {
    report.failed += 1;
    console.log(`FAIL node: ${name}: ${detail}`);
  }
  return condition;
}

function equal(name, actual, expected) {
  return check(name, actual === expected, `expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
}

// Amounts arrive as JSON numbers; QBO amounts have at most two decimals, so
// comparing them formatted to two places is exact.
function money(name, actual, expected) {
  const shown = typeof actual === 'number' ? actual.toFixed(2) : String(actual);
  return check(name, shown === expected, `expected ${expected}, got ${JSON.stringify(actual)}`);
}

function describe(error) {
  const fault = error?.body?.Fault ?? error?.Fault ?? error?.response?.data?.Fault;
  if (fault) {
    return (fault.Error ?? [])
      .map((e) => `fault ${e.code}: ${e.Message} (${e.Detail ?? ''})`)
      .join('; ');
  }
  if (error?.error) return `${error.error}: ${error.error_description ?? ''}`;
  return error?.message ?? String(error);
}

async function step(name, action) {
  try {
    return await action();
  } catch (error) {
    check(name, false, describe(error));
    return undefined;
  }
}

function readReadyLine() {
  const text = process.argv[2] ?? process.env.QBO_EMULATOR_READY ?? '';
  if (!text.trim()) {
    console.error('usage: compat_test.mjs READY_JSON (or set QBO_EMULATOR_READY)');
    process.exit(2);
  }
  return JSON.parse(text);
}

// node-quickbooks is callback-based: every method takes (…, callback(err, data)).
function call(qbo, method, ...args) {
  return new Promise((resolve, reject) => {
    qbo[method](...args, (error, data) => {
      if (error) {
        reject(Object.assign(new Error(`${method} failed`), { body: error?.response?.data ?? error, cause: error }));
      } else {
        resolve(data);
      }
    });
  });
}

function faultCode(error) {
  const fault = error?.body?.Fault ?? error?.response?.data?.Fault;
  return fault?.Error?.[0]?.code;
}

const ref = (document, name) => ({ value: String(document.Id), name });

function salesLine(item, qty, unitPrice) {
  return {
    DetailType: 'SalesItemLineDetail',
    Amount: qty * unitPrice,
    Description: `${qty} x ${item.Name}`,
    SalesItemLineDetail: {
      ItemRef: ref(item, item.Name),
      Qty: qty,
      UnitPrice: unitPrice,
      TaxCodeRef: { value: 'NON' },
    },
  };
}

function expenseLine(account, amount, description) {
  return {
    DetailType: 'AccountBasedExpenseLineDetail',
    Amount: amount,
    Description: description,
    AccountBasedExpenseLineDetail: { AccountRef: ref(account, account.Name), TaxCodeRef: { value: 'NON' } },
  };
}

// The lines a client wrote: QBO adds a SubTotalLineDetail line to sales forms.
const realLines = (document) => document.Line.filter((line) => line.DetailType !== 'SubTotalLineDetail');

class CompatRun {
  constructor(ready) {
    this.ready = ready;
    this.baseUrl = ready.base_url.replace(/\/$/, '');
    this.realmId = String(ready.realm_id);
    this.suffix = randomBytes(4).toString('hex');
    this.firstChangeTime = null;
  }

  noteChangeTime(document) {
    if (!this.firstChangeTime && document?.MetaData?.CreateTime) {
      this.firstChangeTime = document.MetaData.CreateTime;
    }
  }

  // OAuth 2.0 with intuit-oauth ---------------------------------------------

  async oauth() {
    const { ready } = this;
    const discovery = await (await fetch(ready.discovery_url)).json();
    check('the discovery document names the emulator\'s token endpoint',
      String(discovery.token_endpoint).startsWith(this.baseUrl), JSON.stringify(discovery));
    const redirectUri = ready.redirect_uris[0];
    const oauthClient = new OAuthClient({
      clientId: ready.client_id,
      clientSecret: ready.client_secret,
      environment: 'sandbox',
      redirectUri,
    });
    oauthClient.setAuthorizeURLs({
      authorizeEndpoint: discovery.authorization_endpoint,
      tokenEndpoint: discovery.token_endpoint,
      revokeEndpoint: discovery.revocation_endpoint,
      userInfoEndpoint: discovery.userinfo_endpoint,
    });
    OAuthClient.jwks_uri = discovery.jwks_uri;
    this.tokenEndpoint = discovery.token_endpoint;

    const state = `compat-${this.suffix}`;
    const url = oauthClient.authorizeUri({
      scope: [OAuthClient.scopes.Accounting, OAuthClient.scopes.OpenId, OAuthClient.scopes.Email],
      state,
    });
    // The browser step: with --auto-approve the consent page answers with
    // the redirect a click on Connect gives.
    const response = await fetch(url, { redirect: 'manual' });
    equal('authorize URL answers with a redirect', response.status, 302);
    const location = response.headers.get('location') ?? '';
    check('the redirect goes to the registered redirect URI', location.startsWith(redirectUri), location);
    const query = new URL(location).searchParams;
    check('the redirect carries an authorization code', Boolean(query.get('code')), location);
    equal('the redirect echoes the state', query.get('state'), state);

    await oauthClient.createToken(location);
    const token = oauthClient.getToken();
    equal('createToken reads the realmId from the redirect', token.realmId, this.realmId);
    check('code exchange gives an access token', Boolean(token.access_token), JSON.stringify(token));
    check('code exchange gives a refresh token', Boolean(token.refresh_token), JSON.stringify(token));
    equal('access token lasts an hour', token.expires_in, 3600);
    check('refresh token expiry is given', token.x_refresh_token_expires_in > 0, String(token.x_refresh_token_expires_in));
    check('the access token counts as valid', oauthClient.isAccessTokenValid(), 'isAccessTokenValid() is false');
    await step('the id_token validates (issuer, audience, JWKS signature)', async () => {
      check('the id_token validates (issuer, audience, JWKS signature)', (await oauthClient.validateIdToken()) === true,
        'validateIdToken() is not true');
    });

    const userinfo = await oauthClient.getUserInfo();
    check('userinfo answers with the user\'s email', String(userinfo.json?.email ?? '').includes('@'),
      JSON.stringify(userinfo.json));

    try {
      await oauthClient.createToken(location);
      check('a used authorization code is refused', false, 'the second exchange succeeded');
    } catch (error) {
      equal('a used authorization code is refused', error.error, 'invalid_grant');
    }
    // The failed exchange leaves the good tokens in place.
    oauthClient.setToken({ ...token });

    const first = { access: token.access_token, refresh: token.refresh_token };
    await oauthClient.refresh();
    const refreshed = oauthClient.getToken();
    check('refresh gives a new access token', refreshed.access_token && refreshed.access_token !== first.access, 'unchanged');
    check('refresh rotates the refresh token', refreshed.refresh_token && refreshed.refresh_token !== first.refresh, 'unchanged');
    this.tokens = { access: refreshed.access_token, refresh: refreshed.refresh_token };
  }

  async client() {
    // node-quickbooks builds every URL as V3_ENDPOINT_BASE_URL + realmId + path.
    QuickBooks.V3_ENDPOINT_BASE_URL = `${this.baseUrl}/v3/company/`;
    QuickBooks.TOKEN_URL = this.tokenEndpoint;
    const qbo = new QuickBooks(
      this.ready.client_id,
      this.ready.client_secret,
      this.tokens.access,
      false,
      this.realmId,
      false,
      false,
      75,
      '2.0',
      this.tokens.refresh,
    );
    // node-quickbooks' own refresh also rotates, and the client uses the
    // new access token from then on.
    const before = { access: qbo.token, refresh: qbo.refreshToken };
    await call(qbo, 'refreshAccessToken');
    check('node-quickbooks refreshAccessToken rotates both tokens',
      qbo.token !== before.access && qbo.refreshToken !== before.refresh && Boolean(qbo.refreshToken), 'unchanged');
    this.qbo = qbo;
  }

  // Company settings and read-only lists ----------------------------------

  async settings() {
    const { qbo } = this;
    const info = await call(qbo, 'getCompanyInfo', this.realmId);
    check('CompanyInfo read', Boolean(info?.CompanyName), JSON.stringify(info).slice(0, 300));
    const preferences = await call(qbo, 'getPreferences');
    check('Preferences read', Boolean(preferences?.SalesFormsPrefs && preferences?.AccountingInfoPrefs),
      JSON.stringify(preferences).slice(0, 300));
    const codes = (await call(qbo, 'findTaxCodes')).QueryResponse.TaxCode ?? [];
    if (check('TaxCode query', codes.length > 0, 'no tax codes')) {
      equal('TaxCode read', (await call(qbo, 'getTaxCode', codes[0].Id)).Name, codes[0].Name);
    }
  }

  async references() {
    const first = async (criteria) => {
      const found = (await call(this.qbo, 'findAccounts', criteria)).QueryResponse.Account ?? [];
      if (!found.length) throw new Error(`the seeded company has no account matching ${JSON.stringify(criteria)}`);
      return found[0];
    };
    this.bank = await first({ AccountType: 'Bank' });
    this.income = await first({ AccountType: 'Income' });
    this.expense = await first({ AccountType: 'Expense' });
    check('seeded bank, income and expense accounts found by query', true);
  }

  // Name lists: create, read, full update, sparse inactivate ---------------

  async nameList(entity, plural, body, change, verify) {
    const { qbo } = this;
    const created = await call(qbo, `create${entity}`, body);
    this.noteChangeTime(created);
    check(`${entity} create`, Boolean(created?.Id), JSON.stringify(created));
    equal(`${entity} create SyncToken`, created.SyncToken, '0');
    const read = await call(qbo, `get${entity}`, created.Id);
    equal(`${entity} read Id`, read.Id, created.Id);
    const updated = await call(qbo, `update${entity}`, { ...read, ...change, sparse: false });
    equal(`${entity} full update SyncToken`, updated.SyncToken, '1');
    verify(`${entity} full update read back`, await call(qbo, `get${entity}`, created.Id));
    const inactive = await call(qbo, `update${entity}`, { Id: created.Id, SyncToken: updated.SyncToken, sparse: true, Active: false });
    equal(`${entity} sparse inactivate`, inactive.Active, false);
    equal(`${entity} inactivate SyncToken`, inactive.SyncToken, '2');
    const plain = (await call(qbo, `find${plural}`, { Id: created.Id })).QueryResponse[entity] ?? [];
    const inactiveRows = (await call(qbo, `find${plural}`, [
      { field: 'Id', value: created.Id },
      { field: 'Active', value: false },
    ])).QueryResponse[entity] ?? [];
    check(`${entity} inactive hidden from plain queries, found with Active = false`,
      plain.length === 0 && inactiveRows.length === 1,
      `plain query ${plain.length} rows, Active = false query ${inactiveRows.length} rows`);
    return created;
  }

  async nameLists() {
    const s = this.suffix;
    const lists = [
      ['Account', 'Accounts', { Name: `Compat Supplies ${s}`, AccountType: 'Expense', AccountSubType: 'SuppliesMaterials' },
        { Description: 'Changed by node-quickbooks' }, (n, a) => equal(n, a.Description, 'Changed by node-quickbooks')],
      ['Customer', 'Customers', { DisplayName: `Compat Customer ${s}`, GivenName: 'Casey', PrimaryEmailAddr: { Address: 'casey@example.com' } },
        { CompanyName: 'Compat Holdings' }, (n, c) => equal(n, c.CompanyName, 'Compat Holdings')],
      ['Vendor', 'Vendors', { DisplayName: `Compat Vendor ${s}` },
        { AcctNum: 'ACCT-77' }, (n, v) => equal(n, v.AcctNum, 'ACCT-77')],
      ['Employee', 'Employees', { GivenName: 'Emery', FamilyName: `Compat${s}` },
        { EmployeeNumber: 'E-42' }, (n, e) => equal(n, e.EmployeeNumber, 'E-42')],
      ['Item', 'Items', { Name: `Compat Service ${s}`, Type: 'Service', UnitPrice: 40, IncomeAccountRef: ref(this.income, this.income.Name) },
        { UnitPrice: 45.5 }, (n, i) => money(n, i.UnitPrice, '45.50')],
      ['Class', 'Classes', { Name: `Compat Class ${s}` },
        { Name: `Compat Class ${s} renamed` }, (n, c) => equal(n, c.Name, `Compat Class ${s} renamed`)],
      ['Department', 'Departments', { Name: `Compat Location ${s}` },
        { Name: `Compat Location ${s} renamed` }, (n, d) => equal(n, d.Name, `Compat Location ${s} renamed`)],
      ['Term', 'Terms', { Name: `Net 45 ${s}`, DueDays: 45 },
        { DueDays: 60 }, (n, t) => equal(n, Number(t.DueDays), 60)],
      ['PaymentMethod', 'PaymentMethods', { Name: `Compat Card ${s}`, Type: 'CREDIT_CARD' },
        { Name: `Compat Card ${s} renamed` }, (n, p) => equal(n, p.Name, `Compat Card ${s} renamed`)],
    ];
    for (const [entity, plural, body, change, verify] of lists) {
      await step(`${entity} name list`, () => this.nameList(entity, plural, body, change, verify));
    }
  }

  async workingNames() {
    const { qbo } = this;
    const s = this.suffix;
    this.customer = await call(qbo, 'createCustomer', { DisplayName: `Compat Buyer ${s}` });
    this.noteChangeTime(this.customer);
    this.vendor = await call(qbo, 'createVendor', { DisplayName: `Compat Seller ${s}` });
    this.item = await call(qbo, 'createItem', {
      Name: `Compat Consulting ${s}`,
      Type: 'Service',
      UnitPrice: 40,
      IncomeAccountRef: ref(this.income, this.income.Name),
      ExpenseAccountRef: ref(this.expense, this.expense.Name),
    });
    check('customer, vendor and item for the transactions created',
      Boolean(this.customer.Id && this.vendor.Id && this.item.Id));
  }

  // A repeated requestid replays the first answer; a stale SyncToken is refused.
  async retriesAndConflicts() {
    const { qbo } = this;
    const requestId = randomBytes(16).toString('hex');
    const name = `Compat Retry ${this.suffix}`;
    // node-quickbooks moves `requestId` from the body to ?requestid=.
    const first = await call(qbo, 'createCustomer', { DisplayName: name, requestId });
    const again = await call(qbo, 'createCustomer', { DisplayName: name, requestId });
    equal('a create repeated with the same requestid returns the first object', again.Id, first.Id);
    equal('a create repeated with the same requestid creates nothing more',
      ((await call(qbo, 'findCustomers', { DisplayName: name })).QueryResponse.Customer ?? []).length, 1);

    await call(qbo, 'updateCustomer', { Id: first.Id, SyncToken: first.SyncToken, sparse: true, Notes: 'first writer' });
    try {
      await call(qbo, 'updateCustomer', { Id: first.Id, SyncToken: first.SyncToken, sparse: true, Notes: 'second writer' });
      check('an update with a stale SyncToken is refused with 5010', false, 'the update succeeded');
    } catch (error) {
      equal('an update with a stale SyncToken is refused with 5010', faultCode(error), '5010');
    }
    equal('the refused update changed nothing', (await call(qbo, 'getCustomer', first.Id)).Notes, 'first writer');
  }

  // Transactions ------------------------------------------------------------

  async deleted(entity, id) {
    const result = await call(this.qbo, `delete${entity}`, id);
    equal(`${entity} delete status`, result?.[entity]?.status, 'Deleted');
    try {
      await call(this.qbo, `get${entity}`, id);
      check(`${entity} read after delete is 610`, false, 'the object can still be read');
    } catch (error) {
      equal(`${entity} read after delete is 610`, faultCode(error), '610');
    }
  }

  async voided(entity, id, voidCall) {
    const current = await call(this.qbo, `get${entity}`, id);
    const voided = await voidCall(current);
    const document = voided?.[entity] ?? voided;
    equal(`${entity} void SyncToken`, document.SyncToken, String(Number(current.SyncToken) + 1));
    money(`${entity} void zeroes TotalAmt`, document.TotalAmt, '0.00');
    return document;
  }

  // Create, read back, full update with a recomputed total, then delete.
  // `measure` names and reads the amount to compare, TotalAmt by default.
  async transaction(entity, body, total, change, changedTotal, remove = true,
    measure = ['TotalAmt', (document) => document.TotalAmt]) {
    const { qbo } = this;
    const [what, amount] = measure;
    const created = await call(qbo, `create${entity}`, body);
    check(`${entity} create`, Boolean(created?.Id), JSON.stringify(created));
    equal(`${entity} create SyncToken`, created.SyncToken, '0');
    money(`${entity} create ${what}`, amount(created), total);
    const read = await call(qbo, `get${entity}`, created.Id);
    money(`${entity} read ${what}`, amount(read), total);
    change(read);
    const updated = await call(qbo, `update${entity}`, { ...read, sparse: false });
    equal(`${entity} full update SyncToken`, updated.SyncToken, '1');
    money(`${entity} full update ${what}`, amount(updated), changedTotal);
    money(`${entity} full update read back`, amount(await call(qbo, `get${entity}`, created.Id)), changedTotal);
    if (remove) await this.deleted(entity, created.Id);
    return created;
  }

  setQuantity(line, detail, qty) {
    line[detail].Qty = qty;
    line.Amount = qty * line[detail].UnitPrice;
  }

  async invoiceAndPayment() {
    const { qbo } = this;
    const invoice = await this.transaction('Invoice', {
      CustomerRef: ref(this.customer),
      Line: [salesLine(this.item, 2, 40), salesLine(this.item, 1, 25.5)],
    }, '105.50', (doc) => this.setQuantity(realLines(doc)[1], 'SalesItemLineDetail', 2), '131.00', false);
    money('Invoice Balance equals TotalAmt', (await call(qbo, 'getInvoice', invoice.Id)).Balance, '131.00');

    let payment = await call(qbo, 'createPayment', {
      CustomerRef: ref(this.customer),
      TotalAmt: 50,
      Line: [{ Amount: 50, LinkedTxn: [{ TxnId: invoice.Id, TxnType: 'Invoice' }] }],
    });
    money('Payment create TotalAmt', payment.TotalAmt, '50.00');
    money('Payment lowers the invoice Balance', (await call(qbo, 'getInvoice', invoice.Id)).Balance, '81.00');
    payment = await call(qbo, 'updatePayment', { Id: payment.Id, SyncToken: payment.SyncToken, sparse: true, PaymentRefNum: 'CHK-1001' });
    equal('Payment sparse update SyncToken', payment.SyncToken, '1');
    equal('Payment sparse update read back', (await call(qbo, 'getPayment', payment.Id)).PaymentRefNum, 'CHK-1001');
    await this.voided('Payment', payment.Id, (current) => call(qbo, 'voidPayment', { Id: current.Id, SyncToken: current.SyncToken }));
    money('voiding the Payment restores the invoice Balance', (await call(qbo, 'getInvoice', invoice.Id)).Balance, '131.00');
    await this.deleted('Payment', payment.Id);

    const voided = await this.voided('Invoice', invoice.Id, () => call(qbo, 'voidInvoice', invoice.Id));
    money('Invoice void zeroes Balance', voided.Balance, '0.00');
    await this.deleted('Invoice', invoice.Id);
  }

  async salesReceipt() {
    const { qbo } = this;
    const receipt = await this.transaction('SalesReceipt', {
      CustomerRef: ref(this.customer),
      DepositToAccountRef: ref(this.bank),
      Line: [salesLine(this.item, 3, 20)],
    }, '60.00', (doc) => this.setQuantity(realLines(doc)[0], 'SalesItemLineDetail', 4), '80.00', false);
    // node-quickbooks voids a SalesReceipt through its generic update:
    // `void: true` becomes ?operation=update&include=void on a sparse body.
    await this.voided('SalesReceipt', receipt.Id,
      (current) => call(qbo, 'updateSalesReceipt', { Id: current.Id, SyncToken: current.SyncToken, void: true }));
    await this.deleted('SalesReceipt', receipt.Id);
  }

  async estimate() {
    await this.transaction('Estimate', { CustomerRef: ref(this.customer), Line: [salesLine(this.item, 5, 40)] },
      '200.00', (doc) => this.setQuantity(realLines(doc)[0], 'SalesItemLineDetail', 6), '240.00');
  }

  async creditMemo() {
    await this.transaction('CreditMemo', { CustomerRef: ref(this.customer), Line: [salesLine(this.item, 1, 15.75)] },
      '15.75', (doc) => this.setQuantity(realLines(doc)[0], 'SalesItemLineDetail', 2), '31.50');
  }

  async billAndPayment() {
    const { qbo } = this;
    const bill = await this.transaction('Bill', {
      VendorRef: ref(this.vendor),
      Line: [expenseLine(this.expense, 200, 'Office chairs')],
    }, '200.00', (doc) => { doc.Line[0].Amount = 250; }, '250.00', false);
    money('Bill Balance equals TotalAmt', (await call(qbo, 'getBill', bill.Id)).Balance, '250.00');

    let payment = await call(qbo, 'createBillPayment', {
      VendorRef: ref(this.vendor),
      PayType: 'Check',
      TotalAmt: 100,
      CheckPayment: { BankAccountRef: ref(this.bank) },
      Line: [{ Amount: 100, LinkedTxn: [{ TxnId: bill.Id, TxnType: 'Bill' }] }],
    });
    money('BillPayment create TotalAmt', payment.TotalAmt, '100.00');
    money('BillPayment lowers the bill Balance', (await call(qbo, 'getBill', bill.Id)).Balance, '150.00');
    payment = await call(qbo, 'updateBillPayment', { Id: payment.Id, SyncToken: payment.SyncToken, sparse: true, PrivateNote: 'paid by check' });
    equal('BillPayment sparse update SyncToken', payment.SyncToken, '1');
    equal('BillPayment sparse update read back', (await call(qbo, 'getBillPayment', payment.Id)).PrivateNote, 'paid by check');
    await this.voided('BillPayment', payment.Id,
      (current) => call(qbo, 'updateBillPayment', { Id: current.Id, SyncToken: current.SyncToken, void: true }));
    money('voiding the BillPayment restores the bill Balance', (await call(qbo, 'getBill', bill.Id)).Balance, '250.00');
    await this.deleted('BillPayment', payment.Id);
    await this.deleted('Bill', bill.Id);
  }

  async purchase() {
    await this.transaction('Purchase', {
      PaymentType: 'Cash',
      AccountRef: ref(this.bank),
      Line: [expenseLine(this.expense, 35.25, 'Printer paper')],
    }, '35.25', (doc) => { doc.Line[0].Amount = 36.75; }, '36.75');
  }

  async vendorCredit() {
    await this.transaction('VendorCredit', {
      VendorRef: ref(this.vendor),
      Line: [expenseLine(this.expense, 20, 'Returned chair')],
    }, '20.00', (doc) => { doc.Line[0].Amount = 22.4; }, '22.40');
  }

  async purchaseOrder() {
    await this.transaction('PurchaseOrder', {
      VendorRef: ref(this.vendor),
      Line: [{
        DetailType: 'ItemBasedExpenseLineDetail',
        Amount: 120,
        ItemBasedExpenseLineDetail: { ItemRef: ref(this.item, this.item.Name), Qty: 4, UnitPrice: 30, TaxCodeRef: { value: 'NON' } },
      }],
    }, '120.00', (doc) => this.setQuantity(doc.Line[0], 'ItemBasedExpenseLineDetail', 5), '150.00');
  }

  async deposit() {
    await this.transaction('Deposit', {
      DepositToAccountRef: ref(this.bank),
      Line: [{ DetailType: 'DepositLineDetail', Amount: 300, DepositLineDetail: { AccountRef: ref(this.income) } }],
    }, '300.00', (doc) => { doc.Line[0].Amount = 325.1; }, '325.10');
  }

  async journalEntry() {
    const entryLine = (postingType, account, amount) => ({
      DetailType: 'JournalEntryLineDetail',
      Amount: amount,
      Description: `${postingType} ${account.Name}`,
      JournalEntryLineDetail: { PostingType: postingType, AccountRef: ref(account, account.Name) },
    });
    // Intuit documents JournalEntry.TotalAmt as always zero and its samples
    // leave it out, so the entry is measured by its debit lines.
    const debits = (entry) => entry.Line
      .filter((line) => line.JournalEntryLineDetail?.PostingType === 'Debit')
      .reduce((sum, line) => sum + line.Amount, 0);
    await this.transaction('JournalEntry', {
      Line: [entryLine('Debit', this.expense, 75), entryLine('Credit', this.bank, 75)],
    }, '75.00', (doc) => { for (const line of doc.Line) line.Amount = 80; }, '80.00', true, ['debit total', debits]);
  }

  // Query paging, CDC, batch ----------------------------------------------

  async paging() {
    const { qbo } = this;
    for (const [entity, plural, pageSize] of [['Customer', 'Customers', 7], ['Invoice', 'Invoices', 25]]) {
      const total = (await call(qbo, `find${plural}`, { count: true })).QueryResponse.totalCount;
      check(`${entity} COUNT(*) over the seeded company`, Number.isInteger(total) && total > pageSize, `totalCount ${total}`);
      const ids = [];
      for (let offset = 1, pages = 0; pages < 1000; pages += 1, offset += pageSize) {
        const page = (await call(qbo, `find${plural}`, { asc: 'Id', limit: pageSize, offset })).QueryResponse;
        const rows = page[entity] ?? [];
        if (rows.length > pageSize) {
          check(`${entity} page size at most MAXRESULTS`, false, `${rows.length} rows`);
          break;
        }
        if (rows.length) equal(`${entity} page ${pages + 1} startPosition`, page.startPosition, offset);
        ids.push(...rows.map((row) => row.Id));
        if (rows.length < pageSize) break;
      }
      equal(`${entity} paging with startposition/maxresults returns every row once`, new Set(ids).size, total);
      equal(`${entity} pages do not overlap`, ids.length, new Set(ids).size);
      // fetchAll follows pages for as long as a page comes back full.
      const all = (await call(qbo, `find${plural}`, { fetchAll: true, limit: pageSize * 4 })).QueryResponse[entity] ?? [];
      equal(`${entity} fetchAll returns every row`, all.length, total);
    }
  }

  async cdc() {
    if (!this.firstChangeTime) {
      check('CDC', false, 'no create time was recorded');
      return;
    }
    const since = new Date(new Date(this.firstChangeTime).getTime() - 1000).toISOString();
    const data = await call(this.qbo, 'changeDataCapture', ['Invoice', 'Customer', 'Bill', 'Item'], since);
    const responses = data?.CDCResponse?.[0]?.QueryResponse ?? [];
    const rows = (entity) => responses.flatMap((response) => response[entity] ?? []);
    check('CDC returns the customer created in this run', rows('Customer').some((c) => c.Id === this.customer.Id),
      `Customer ids ${rows('Customer').map((c) => c.Id).join(',')}`);
    check('CDC returns the item created in this run', rows('Item').some((i) => i.Id === this.item.Id),
      `Item ids ${rows('Item').map((i) => i.Id).join(',')}`);
    check('CDC returns the deleted invoice with status Deleted', rows('Invoice').some((i) => i.status === 'Deleted'),
      `${rows('Invoice').length} invoices, none with status Deleted`);
    check('CDC returns the deleted bill with status Deleted', rows('Bill').some((b) => b.status === 'Deleted'),
      'none with status Deleted');
  }

  async batch() {
    const { qbo } = this;
    const s = this.suffix;
    const byId = (response) => Object.fromEntries((response.BatchItemResponse ?? []).map((item) => [item.bId, item]));

    const created = byId(await call(qbo, 'batch', [0, 1, 2].map((n) => ({
      bId: `v${n}`, operation: 'create', Vendor: { DisplayName: `Batch Vendor ${n} ${s}` },
    }))));
    const vendors = ['v0', 'v1', 'v2'].map((bId) => created[bId]?.Vendor);
    check('batch create: three vendors with Ids', vendors.every((v) => v?.Id), JSON.stringify(created).slice(0, 400));
    equal('batch create: names read back', vendors.map((v) => v?.DisplayName).join('|'),
      [0, 1, 2].map((n) => `Batch Vendor ${n} ${s}`).join('|'));

    const updated = byId(await call(qbo, 'batch', vendors.map((v, n) => ({
      bId: `u${n}`, operation: 'update', Vendor: { Id: v.Id, SyncToken: v.SyncToken, sparse: true, CompanyName: 'Batch Co' },
    }))));
    check('batch sparse update: SyncToken 1 and the new value',
      ['u0', 'u1', 'u2'].every((bId) => updated[bId]?.Vendor?.SyncToken === '1' && updated[bId]?.Vendor?.CompanyName === 'Batch Co'),
      JSON.stringify(updated).slice(0, 400));

    const mixed = byId(await call(qbo, 'batch', [
      { bId: 'stale', operation: 'update', Vendor: { Id: vendors[0].Id, SyncToken: '0', sparse: true, CompanyName: 'Stale write' } },
      { bId: 'query', Query: `select * from Vendor where DisplayName = 'Batch Vendor 1 ${s}'` },
    ]));
    equal('batch update with a stale SyncToken faults with 5010', mixed.stale?.Fault?.Error?.[0]?.code, '5010');
    equal('batch query item returns the vendor', mixed.query?.QueryResponse?.Vendor?.[0]?.Id, vendors[1].Id);

    const purchases = byId(await call(qbo, 'batch', [11, 12].map((amount) => ({
      bId: `p${amount}`,
      operation: 'create',
      Purchase: { PaymentType: 'Cash', AccountRef: ref(this.bank), Line: [expenseLine(this.expense, amount, 'batch purchase')] },
    }))));
    money('batch create: purchase total 11.00', purchases.p11?.Purchase?.TotalAmt, '11.00');
    money('batch create: purchase total 12.00', purchases.p12?.Purchase?.TotalAmt, '12.00');
    const removed = byId(await call(qbo, 'batch', ['p11', 'p12'].map((bId) => ({
      bId: `d${bId}`, operation: 'delete', Purchase: { Id: purchases[bId].Purchase.Id, SyncToken: purchases[bId].Purchase.SyncToken },
    }))));
    check('batch delete of two purchases',
      removed.dp11?.Purchase?.status === 'Deleted' && removed.dp12?.Purchase?.status === 'Deleted',
      JSON.stringify(removed).slice(0, 400));

    // Void in a batch is operation "update" with optionsData "void" (API.md §6).
    const receipt = await call(qbo, 'createSalesReceipt', {
      CustomerRef: ref(this.customer), DepositToAccountRef: ref(this.bank), Line: [salesLine(this.item, 1, 40)],
    });
    const voided = byId(await call(qbo, 'batch', [{
      bId: 'void', operation: 'update', optionsData: 'void',
      SalesReceipt: { Id: receipt.Id, SyncToken: receipt.SyncToken, sparse: true },
    }]));
    money('batch void zeroes the sales receipt', voided.void?.SalesReceipt?.TotalAmt, '0.00');
    await call(qbo, 'deleteSalesReceipt', receipt.Id);
  }

  async run() {
    await step('OAuth authorization-code flow', () => this.oauth());
    if (!this.tokens) {
      check('API calls', false, 'no access token, so the API checks cannot run');
      return;
    }
    await step('node-quickbooks client', () => this.client());
    if (!this.qbo) return;
    await step('company settings', () => this.settings());
    await step('seeded accounts', () => this.references());
    if (!this.bank || !this.income || !this.expense) return;
    await this.nameLists();
    await step('working names', () => this.workingNames());
    if (!this.customer?.Id || !this.vendor?.Id || !this.item?.Id) return;
    const steps = [
      ['requestid and SyncToken conflicts', () => this.retriesAndConflicts()],
      ['Invoice and Payment', () => this.invoiceAndPayment()],
      ['SalesReceipt', () => this.salesReceipt()],
      ['Estimate', () => this.estimate()],
      ['CreditMemo', () => this.creditMemo()],
      ['Bill and BillPayment', () => this.billAndPayment()],
      ['Purchase', () => this.purchase()],
      ['VendorCredit', () => this.vendorCredit()],
      ['PurchaseOrder', () => this.purchaseOrder()],
      ['Deposit', () => this.deposit()],
      ['JournalEntry', () => this.journalEntry()],
      ['query paging', () => this.paging()],
      ['CDC', () => this.cdc()],
      ['batch', () => this.batch()],
    ];
    for (const [name, action] of steps) {
      await step(name, action);
    }
  }
}

const run = new CompatRun(readReadyLine());
await run.run();
console.log(`compat: ${report.passed} passed, ${report.failed} failed`);
process.exitCode = report.failed ? 1 : 0;
