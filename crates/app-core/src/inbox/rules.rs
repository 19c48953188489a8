//! The user's categorization rules: "text contains / pattern / amount range →
//! account, payee". They are tried in order before anything learnt from the
//! company's history; after a change the open inbox entries' suggestions are
//! worked out again, so the inbox shows what the rules now say.

use std::str::FromStr;

use chrono::NaiveDate;
use local_store::{CompanyStore, InboxFilter, InboxRow, SuggestionUpdate};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use statements::StatementLine;
use statements::suggest::{Rule, RuleError, Rules};

use super::{Accounts, invalid, suggestion_fields};
use crate::{AppCore, CoreResult};

use super::views::{StatementRuleInput, StatementRuleView, StatementRulesReport};

/// A rule as stored: the `statements` crate's rule with an id the front ends
/// name it by. Rules stored before ids existed read with id 0 and are given
/// one when read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct StoredRule {
    #[serde(default)]
    id: u32,
    name: String,
    text_contains: Option<String>,
    regex: Option<String>,
    amount_min: Option<Decimal>,
    amount_max: Option<Decimal>,
    /// QuickBooks' id of the account (a name in rules stored by hand).
    account: Option<String>,
    payee: Option<String>,
}

impl StoredRule {
    pub(super) fn to_rule(&self) -> Rule {
        Rule {
            name: self.name.clone(),
            text_contains: self.text_contains.clone(),
            regex: self.regex.clone(),
            amount_min: self.amount_min,
            amount_max: self.amount_max,
            account: self.account.clone(),
            payee: self.payee.clone(),
        }
    }

    fn view(&self, accounts: &Accounts) -> StatementRuleView {
        StatementRuleView {
            id: self.id,
            name: self.name.clone(),
            text_contains: self.text_contains.clone(),
            regex: self.regex.clone(),
            amount_min: self.amount_min.map(|amount| amount.to_string()),
            amount_max: self.amount_max.map(|amount| amount.to_string()),
            account_id: self.account.as_deref().and_then(|id| accounts.find(id)),
            account_name: self.account.as_deref().map(|id| accounts.name(id)),
            payee: self.payee.clone(),
        }
    }
}

/// The company's rules in order; a stored rule that cannot be read is an
/// error, not a rule silently left out.
pub(super) async fn stored_rules(store: &CompanyStore) -> CoreResult<Vec<StoredRule>> {
    let mut rules = Vec::new();
    for text in store.statement_rules().await? {
        let rule: StoredRule = serde_json::from_str(&text)
            .map_err(|error| invalid(format!("A stored rule cannot be read: {error}.")))?;
        rules.push(rule);
    }
    let mut next = rules.iter().map(|rule| rule.id).max().unwrap_or(0) + 1;
    for rule in &mut rules {
        if rule.id == 0 {
            rule.id = next;
            next += 1;
        }
    }
    Ok(rules)
}

async fn save_rules(store: &CompanyStore, rules: &[StoredRule]) -> CoreResult<()> {
    let texts = rules
        .iter()
        .map(|rule| serde_json::to_string(rule).map_err(|error| invalid(error.to_string())))
        .collect::<CoreResult<Vec<_>>>()?;
    store.save_statement_rules(&texts).await?;
    Ok(())
}

/// Text that is there, trimmed.
fn given(text: Option<&String>) -> Option<String> {
    text.map(|text| text.trim().to_owned())
        .filter(|text| !text.is_empty())
}

fn amount(text: Option<&String>, what: &str) -> CoreResult<Option<Decimal>> {
    match given(text) {
        None => Ok(None),
        Some(text) => Decimal::from_str(&text).map(Some).map_err(|_| {
            invalid(format!(
                "The {what} amount '{text}' is not an amount like -120.50."
            ))
        }),
    }
}

/// A name that says what the rule matches, for rules given none.
fn name_of(rule: &StoredRule) -> String {
    let mut parts = Vec::new();
    if let Some(text) = &rule.text_contains {
        parts.push(format!("contains \"{text}\""));
    }
    if let Some(regex) = &rule.regex {
        parts.push(format!("matches /{regex}/"));
    }
    match (rule.amount_min, rule.amount_max) {
        (Some(min), Some(max)) => parts.push(format!("amount {min} to {max}")),
        (Some(min), None) => parts.push(format!("amount at least {min}")),
        (None, Some(max)) => parts.push(format!("amount at most {max}")),
        (None, None) => {}
    }
    parts.join(", ")
}

/// The statement line an inbox entry was imported from, as far as the
/// suggestions read it.
fn line_of(row: &InboxRow) -> Option<StatementLine> {
    let entry = &row.entry;
    Some(StatementLine {
        date: NaiveDate::parse_from_str(&entry.txn_date, "%Y-%m-%d").ok()?,
        amount: Decimal::from_str(&entry.amount).ok()?,
        description: entry.description.clone(),
        fitid: entry.fitid.clone(),
        payee: entry.payee_text.clone(),
        check_number: entry.check_number.clone(),
        bank_type: None,
        source_line: usize::try_from(entry.source_line).unwrap_or(usize::MAX),
    })
}

impl AppCore {
    /// The company's rules, in the order they are tried.
    pub async fn list_statement_rules(
        &self,
        company_id: &str,
    ) -> CoreResult<Vec<StatementRuleView>> {
        let store = self.company_store(company_id).await?;
        let accounts = Accounts::read(&store.records_of(&["Account"]).await?);
        Ok(stored_rules(&store)
            .await?
            .iter()
            .map(|rule| rule.view(&accounts))
            .collect())
    }

    /// Adds a rule after the others, then suggests again for the open
    /// inbox entries. A bad pattern, amount or account is refused and
    /// nothing changes.
    pub async fn add_statement_rule(
        &self,
        company_id: &str,
        input: StatementRuleInput,
    ) -> CoreResult<StatementRulesReport> {
        let store = self.company_store(company_id).await?;
        let accounts = Accounts::read(&store.records_of(&["Account"]).await?);
        let account = match given(input.account.as_ref()) {
            Some(wanted) => Some(
                accounts
                    .find(&wanted)
                    .ok_or_else(|| invalid(format!("This company has no account '{wanted}'.")))?,
            ),
            None => None,
        };
        let (amount_min, amount_max) = (
            amount(input.amount_min.as_ref(), "least")?,
            amount(input.amount_max.as_ref(), "greatest")?,
        );
        if let (Some(min), Some(max)) = (amount_min, amount_max)
            && min > max
        {
            return Err(invalid(format!(
                "The least amount {min} is more than the greatest amount {max}."
            )));
        }
        let mut rules = stored_rules(&store).await?;
        let mut rule = StoredRule {
            id: rules.iter().map(|rule| rule.id).max().unwrap_or(0) + 1,
            name: String::new(),
            text_contains: given(input.text_contains.as_ref()),
            regex: given(input.regex.as_ref()),
            amount_min,
            amount_max,
            account,
            payee: given(input.payee.as_ref()),
        };
        rule.name = given(input.name.as_ref()).unwrap_or_else(|| name_of(&rule));
        Rules::new(vec![rule.to_rule()]).map_err(|error| match error {
            RuleError::BadRegex { message, .. } => invalid(format!(
                "The pattern '{}' is not a valid regular expression: {message}",
                rule.regex.as_deref().unwrap_or_default()
            )),
            RuleError::NoCondition(_) => invalid(
                "A rule needs a condition: text the description contains, a pattern, or an amount range.",
            ),
            RuleError::NoEffect(_) => invalid("A rule needs an account or a payee to suggest."),
        })?;
        rules.push(rule);
        save_rules(&store, &rules).await?;
        let resuggested = self.resuggest(&store, &accounts).await?;
        Ok(StatementRulesReport {
            rules: rules.iter().map(|rule| rule.view(&accounts)).collect(),
            resuggested,
        })
    }

    /// Removes a rule, then suggests again for the open inbox entries.
    pub async fn remove_statement_rule(
        &self,
        company_id: &str,
        rule_id: u32,
    ) -> CoreResult<StatementRulesReport> {
        let store = self.company_store(company_id).await?;
        let accounts = Accounts::read(&store.records_of(&["Account"]).await?);
        let mut rules = stored_rules(&store).await?;
        let before = rules.len();
        rules.retain(|rule| rule.id != rule_id);
        if rules.len() == before {
            return Err(invalid(format!("There is no rule {rule_id}.")));
        }
        save_rules(&store, &rules).await?;
        let resuggested = self.resuggest(&store, &accounts).await?;
        Ok(StatementRulesReport {
            rules: rules.iter().map(|rule| rule.view(&accounts)).collect(),
            resuggested,
        })
    }

    /// Suggests again for the open entries a rule now matches, or that a
    /// rule matched before; other entries keep what the history suggested
    /// at import. Returns how many entries changed.
    async fn resuggest(&self, store: &CompanyStore, accounts: &Accounts) -> CoreResult<u32> {
        let (categorizer, rules) = self.categorizer(store, accounts).await?;
        let discounts = store.import_layout_confidences().await?;
        let open = store
            .inbox_entries(&InboxFilter {
                states: vec!["new".to_owned(), "already_in_quickbooks".to_owned()],
                ..InboxFilter::default()
            })
            .await?;
        let mut updates = Vec::new();
        for row in open.iter().filter(|row| row.transfer_partner.is_none()) {
            let Some(line) = line_of(row) else { continue };
            if rules.find(&line).is_none() && row.entry.suggestion.source != "rule" {
                continue;
            }
            let discount = discounts
                .get(&row.import_id)
                .copied()
                .unwrap_or(1.0)
                .clamp(0.0, 1.0);
            let fields = suggestion_fields(&categorizer, &rules, accounts, &line, discount);
            let (old, new) = (&row.entry.suggestion, &fields.stored);
            let same = old.account_id == new.account_id
                && old.payee == new.payee
                && old.source == new.source
                && old.explanation == new.explanation;
            if same {
                continue;
            }
            updates.push(SuggestionUpdate {
                id: row.id,
                suggestion: fields.stored,
            });
        }
        let changed = store.update_inbox_suggestions(&updates, self.now()).await?;
        Ok(u32::try_from(changed).unwrap_or(u32::MAX))
    }
}
