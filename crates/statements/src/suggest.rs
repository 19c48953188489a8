//! Suggestions for a statement line: the user's rules first, then what the
//! company's own history says, else nothing at confidence 0.
//!
//! The history model is a token naive Bayes over descriptions (one model for money
//! out, trained on past Purchases, one for money in, on past Deposits). When the
//! line names a payee of the history (whole, or cut short the way card
//! processors cut merchant names), the past lines that name it vote instead: a
//! vendor's lines mostly go to its usual account, and words it shares with other
//! vendors (SUPPLY, LUMBER YARD) cannot tell which vendor it is. Otherwise the
//! naive Bayes picks the account and the line's key words pick the past lines
//! that explain it.
//!
//! The naive Bayes posterior alone is overconfident, so the confidence is the
//! lesser of the posterior and a lower bound (Wilson, one-sided 95%) on the share
//! of lines like it that go to the suggested account, from the `k` of `n` past
//! lines that share the line's key words or payee name and went there. Those
//! counts are also the explanation the UI shows: "7 of 8 past 'SHELL OIL' lines
//! went to Fuel". A suggestion above 0.9 thus needs at least 25 agreeing past lines
//! and words that agree.

// Confidences and log-probabilities are scores, not money: floats are right here.
#![allow(clippy::float_arithmetic)]

use std::collections::HashMap;

use chrono::NaiveDate;
use regex::{Regex, RegexBuilder};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::StatementLine;
use crate::matching::{TxnType, txn_type};
use crate::text::normalize_description;

/// A user rule. Every condition given must hold; the first matching rule wins.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    pub name: String,
    /// Case-insensitive substring of the description.
    pub text_contains: Option<String>,
    /// Case-insensitive regular expression over the description.
    pub regex: Option<String>,
    /// Inclusive bounds on the signed amount (money out is negative).
    pub amount_min: Option<Decimal>,
    pub amount_max: Option<Decimal>,
    pub account: Option<String>,
    pub payee: Option<String>,
}

/// Rules ready to match: regular expressions compiled once.
#[derive(Debug, Clone)]
pub struct Rules {
    rules: Vec<(Rule, Option<Regex>, Option<String>)>,
}

/// A rule that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    #[error("rule '{rule}': the pattern is not a valid regular expression: {message}")]
    BadRegex { rule: String, message: String },
    #[error("rule '{0}' has no condition: give text, a pattern or an amount range")]
    NoCondition(String),
    #[error("rule '{0}' sets neither an account nor a payee")]
    NoEffect(String),
}

impl Rules {
    pub fn new(rules: Vec<Rule>) -> Result<Rules, RuleError> {
        let mut compiled = Vec::with_capacity(rules.len());
        for rule in rules {
            if rule.text_contains.is_none()
                && rule.regex.is_none()
                && rule.amount_min.is_none()
                && rule.amount_max.is_none()
            {
                return Err(RuleError::NoCondition(rule.name));
            }
            if rule.account.is_none() && rule.payee.is_none() {
                return Err(RuleError::NoEffect(rule.name));
            }
            let regex = match &rule.regex {
                Some(pattern) => Some(
                    RegexBuilder::new(pattern)
                        .case_insensitive(true)
                        .size_limit(1 << 20)
                        .build()
                        .map_err(|error| RuleError::BadRegex {
                            rule: rule.name.clone(),
                            message: error.to_string(),
                        })?,
                ),
                None => None,
            };
            let contains = rule.text_contains.as_ref().map(|text| text.to_lowercase());
            compiled.push((rule, regex, contains));
        }
        Ok(Rules { rules: compiled })
    }

    pub fn empty() -> Rules {
        Rules { rules: Vec::new() }
    }

    /// The first rule that matches the line.
    pub fn find(&self, line: &StatementLine) -> Option<&Rule> {
        let lower = line.description.to_lowercase();
        self.rules
            .iter()
            .find(|(rule, regex, contains)| {
                contains
                    .as_ref()
                    .is_none_or(|text| lower.contains(text.as_str()))
                    && regex
                        .as_ref()
                        .is_none_or(|regex| regex.is_match(&line.description))
                    && rule.amount_min.is_none_or(|min| line.amount >= min)
                    && rule.amount_max.is_none_or(|max| line.amount <= max)
            })
            .map(|(rule, _, _)| rule)
    }
}

/// A past Purchase or Deposit line of the company: what it said and where it went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub date: NaiveDate,
    pub description: String,
    /// Signed as on a statement: a Purchase is negative, a Deposit positive.
    pub amount: Decimal,
    pub account: String,
    pub payee: Option<String>,
}

/// Where a suggestion came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Source {
    Rule,
    History,
    None,
}

/// What the inbox proposes for a line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Suggestion {
    pub txn_type: TxnType,
    pub account: Option<String>,
    pub payee: Option<String>,
    /// The payee is not in the company's history: vendor auto-create will make it.
    pub payee_is_new: bool,
    /// 0.0 to 1.0; 0.0 when there is no suggestion.
    pub confidence: f64,
    pub source: Source,
    /// Why, in a sentence for the UI.
    pub explanation: String,
}

/// How much less specific to the suggested account than the most specific word a
/// word may be and still be a key word.
const KEY_TOLERANCE: f64 = 0.1;

/// How much of a payee's name, in characters, a line must show for a name cut
/// short to count as naming that payee; processors cut names at 16 to 25.
const CUT_NAME_MIN: usize = 12;

/// The normal quantile of the confidence bound: one-sided 95%.
const WILSON_Z: f64 = 1.645;

/// Words that describe how money moved rather than who with; they say nothing
/// about the payee, so a new payee's name is made without them.
const BOILERPLATE: [&str; 24] = [
    "POS",
    "DEBIT",
    "CREDIT",
    "CARD",
    "PURCHASE",
    "ACH",
    "CHECKCARD",
    "VISA",
    "MASTERCARD",
    "RECURRING",
    "PAYMENT",
    "ONLINE",
    "TRANSFER",
    "WITHDRAWAL",
    "DEPOSIT",
    "PREAUTHORIZED",
    "SQ",
    "TST",
    "WWW",
    "COM",
    "DES",
    "ID",
    "INDN",
    "CO",
];

/// The words of a description the model reads: upper case, no digits (store
/// numbers, references and dates vary from line to line), at least two letters.
pub fn tokens(description: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for word in normalize_description(description).split(' ') {
        if word.len() >= 2
            && !word.chars().any(|c| c.is_ascii_digit())
            && !out.iter().any(|seen| seen == word)
        {
            out.push(word.to_string());
        }
    }
    out
}

/// One direction's naive Bayes model with the postings it explains itself by.
#[derive(Debug, Clone, Default)]
struct Model {
    vocabulary: HashMap<String, usize>,
    accounts: Vec<String>,
    documents_per_account: Vec<u32>,
    tokens_per_account: Vec<u64>,
    /// Dense counts, token-major: `counts[token * accounts + account]`.
    counts: Vec<u32>,
    /// For each token, the documents holding it, ascending.
    postings: Vec<Vec<u32>>,
    /// Each document's account and payee.
    documents: Vec<(usize, Option<usize>)>,
    payees: Vec<String>,
    /// The known payees' names as words, by their first word: how a vendor the
    /// company has paid before is recognized in a line's text.
    payee_names: HashMap<String, Vec<Vec<String>>>,
}

impl Model {
    fn train(entries: &[&HistoryEntry]) -> Model {
        let mut model = Model::default();
        let mut account_index: HashMap<&str, usize> = HashMap::new();
        let mut payee_index: HashMap<&str, usize> = HashMap::new();
        let mut documents_tokens: Vec<Vec<usize>> = Vec::with_capacity(entries.len());
        for entry in entries {
            let account = *account_index
                .entry(entry.account.as_str())
                .or_insert_with(|| {
                    model.accounts.push(entry.account.clone());
                    model.accounts.len() - 1
                });
            let payee = entry
                .payee
                .as_deref()
                .filter(|payee| !payee.is_empty())
                .map(|payee| {
                    *payee_index.entry(payee).or_insert_with(|| {
                        model.payees.push(payee.to_string());
                        model.payees.len() - 1
                    })
                });
            let ids: Vec<usize> = tokens(&entry.description)
                .into_iter()
                .map(|token| {
                    let next = model.vocabulary.len();
                    *model.vocabulary.entry(token).or_insert(next)
                })
                .collect();
            documents_tokens.push(ids);
            model.documents.push((account, payee));
        }
        for payee in &model.payees {
            let name = tokens(payee);
            if let Some(first) = name.first() {
                let names = model.payee_names.entry(first.clone()).or_default();
                if !names.contains(&name) {
                    names.push(name);
                }
            }
        }
        let accounts = model.accounts.len();
        model.documents_per_account = vec![0; accounts];
        model.tokens_per_account = vec![0; accounts];
        model.counts = vec![0; model.vocabulary.len() * accounts];
        model.postings = vec![Vec::new(); model.vocabulary.len()];
        for (document, ids) in documents_tokens.iter().enumerate() {
            let account = model.documents[document].0;
            model.documents_per_account[account] += 1;
            for token in ids {
                model.counts[token * accounts + account] += 1;
                model.tokens_per_account[account] += 1;
                model.postings[*token].push(u32::try_from(document).unwrap_or(u32::MAX));
            }
        }
        model
    }

    fn is_empty(&self) -> bool {
        self.documents.is_empty()
    }

    /// The best account, its posterior, and the evidence for it.
    fn predict(&self, words: &[String]) -> Option<Prediction> {
        let known: Vec<(usize, &str)> = words
            .iter()
            .filter_map(|word| self.vocabulary.get(word).map(|id| (*id, word.as_str())))
            .collect();
        if known.is_empty() || self.is_empty() {
            return None;
        }
        let accounts = self.accounts.len();
        let vocabulary = self.vocabulary.len() as f64;
        let total = self.documents.len() as f64;
        let mut scores: Vec<f64> = (0..accounts)
            .map(|account| {
                let prior = (f64::from(self.documents_per_account[account]) / total).ln();
                let denominator = (self.tokens_per_account[account] as f64 + vocabulary).ln();
                known
                    .iter()
                    .map(|(token, _)| {
                        (f64::from(self.counts[token * accounts + account]) + 1.0).ln()
                            - denominator
                    })
                    .sum::<f64>()
                    + prior
            })
            .collect();
        let best = scores
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .map(|(account, _)| account)?;
        let top = scores[best];
        let mut sum = 0.0;
        for score in &mut scores {
            *score = (*score - top).exp();
            sum += *score;
        }
        let posterior = scores[best] / sum;
        if let Some(prediction) = self.by_known_payee(words, &scores, sum) {
            return Some(prediction);
        }
        // The key words: among the known words nearly as specific to the account as
        // the most specific one, the first in the line (merchant names come before
        // cities and states), alone or with the nearest such word that mostly occurs
        // with it (SHELL OIL).
        let specificity = |token: usize| {
            let with = f64::from(self.counts[token * accounts + best]);
            (with + 1.0) / (self.postings[token].len() as f64 + 2.0)
        };
        let top_specificity = known
            .iter()
            .map(|(token, _)| specificity(*token))
            .fold(0.0, f64::max);
        let close: Vec<(usize, usize)> = known
            .iter()
            .enumerate()
            .filter(|(_, (token, _))| specificity(*token) >= top_specificity - KEY_TOLERANCE)
            .map(|(position, (token, _))| (position, *token))
            .collect();
        let (first_position, first) = close[0];
        let mut key = vec![first];
        let first_documents = self.postings[first].as_slice();
        // The nearest co-occurring word: candidates by distance, the first that
        // shares at least half of the first word's lines.
        let mut candidates: Vec<(usize, usize)> = close[1..].to_vec();
        candidates.sort_by_key(|(position, _)| position.abs_diff(first_position));
        let mut both = None;
        for (_, token) in candidates {
            let shared = intersect(first_documents, &self.postings[token]);
            if !shared.is_empty() && shared.len() * 2 >= first_documents.len() {
                key.push(token);
                both = Some(shared);
                break;
            }
        }
        let documents: &[u32] = both.as_deref().unwrap_or(first_documents);
        let agreeing: Vec<u32> = documents
            .iter()
            .copied()
            .filter(|document| self.documents[*document as usize].0 == best)
            .collect();
        let payee = self.usual_payee(&agreeing);
        let key_words: Vec<&str> = known
            .iter()
            .filter(|(token, _)| key.contains(token))
            .map(|(_, word)| *word)
            .collect();
        Some(Prediction {
            account: self.accounts[best].clone(),
            posterior,
            key: key_words.join(" "),
            agreeing: agreeing.len(),
            sharing: documents.len(),
            payee,
        })
    }
}

impl Model {
    /// The payee most of these past lines were paid to or received from.
    fn usual_payee(&self, documents: &[u32]) -> Option<String> {
        let mut payee_counts: HashMap<usize, usize> = HashMap::new();
        for document in documents {
            if let Some(payee) = self.documents[*document as usize].1 {
                *payee_counts.entry(payee).or_default() += 1;
            }
        }
        payee_counts
            .into_iter()
            .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))
            .map(|(payee, _)| self.payees[payee].clone())
    }

    /// Where in the line's words a payee of the history is named: the longest
    /// name found, whole, or cut short the way card processors cut merchant names
    /// at a fixed width ("GREENLEAF NURSER" for Greenleaf Nursery Wholesale) when
    /// the part shown is long enough to identify it. The positions run from the
    /// name's first word to just past its last; when the last word shown is cut
    /// short, the whole word comes with them.
    fn known_payee_name<'n>(&'n self, words: &[String]) -> Option<NameFound<'n>> {
        let mut best: Option<NameFound<'n>> = None;
        for (start, word) in words.iter().enumerate() {
            let Some(names) = self.payee_names.get(word) else {
                continue;
            };
            for name in names {
                let mut matched = 0;
                let mut letters = 0;
                let mut whole = false;
                let mut cut = None;
                for (offset, part) in name.iter().enumerate() {
                    let Some(seen) = words.get(start + offset) else {
                        break;
                    };
                    if seen == part {
                        matched += 1;
                        letters += seen.len();
                        whole = offset + 1 == name.len();
                        continue;
                    }
                    if part.starts_with(seen.as_str()) {
                        matched += 1;
                        letters += seen.len();
                        cut = Some(part.as_str());
                    }
                    break;
                }
                // The text shown, spaces included.
                let shown = (letters + matched).saturating_sub(1);
                if (whole || shown >= CUT_NAME_MIN)
                    && best.as_ref().is_none_or(|found| shown > found.shown)
                {
                    best = Some(NameFound {
                        start,
                        end: start + matched,
                        shown,
                        cut,
                    });
                }
            }
        }
        best
    }

    /// The vote of the past lines that name the same payee as this one: the lines
    /// holding every word of the name as the line shows it, narrowed by the words
    /// that follow it when that makes the vote surer (GOOGLE ADS among Google's
    /// lines). A vendor's lines mostly go to its usual account, which words
    /// shared with other vendors (SUPPLY, LUMBER) cannot tell. `scores` are the naive Bayes
    /// likelihoods relative to the best, `sum` their total.
    fn by_known_payee(&self, words: &[String], scores: &[f64], sum: f64) -> Option<Prediction> {
        let found = self.known_payee_name(words)?;
        let (start, end) = (found.start, found.end);
        // Each word of the name as shown, with the lines holding it; a word cut
        // short also stands for the whole word it was cut from.
        let mut documents: Option<Vec<u32>> = None;
        let mut key: Vec<(Option<usize>, &str)> = Vec::new();
        for (position, word) in words[start..end].iter().enumerate() {
            let id = self.vocabulary.get(word).copied();
            let mut holding = id.map(|id| self.postings[id].clone()).unwrap_or_default();
            if position + start + 1 == end
                && let Some(whole) = found.cut.and_then(|whole| self.vocabulary.get(whole))
            {
                holding = union(&holding, &self.postings[*whole]);
            }
            if holding.is_empty() {
                continue;
            }
            documents = Some(match documents {
                Some(documents) => intersect(&documents, &holding),
                None => holding,
            });
            key.push((id, word.as_str()));
        }
        let documents = documents.filter(|documents| !documents.is_empty())?;
        // The name, then the name with each following word of the line in turn
        // (GOOGLE, GOOGLE ADS): the narrowing whose vote is surest wins, the
        // longer on equal terms (SHELL OIL when every SHELL line says OIL). A
        // vendor whose lines go to several accounts is told apart by the words
        // after its name; a narrowing to a few lines is not trusted over many.
        let vote = |documents: &[u32]| {
            let mut votes = vec![0usize; self.accounts.len()];
            for document in documents {
                votes[self.documents[*document as usize].0] += 1;
            }
            // Most votes; between equals, the account the words favour.
            (0..votes.len())
                .max_by(|a, b| {
                    votes[*a]
                        .cmp(&votes[*b])
                        .then(scores[*a].total_cmp(&scores[*b]))
                })
                .map(|account| (account, votes[account]))
        };
        let (mut account, mut agreeing_count) = vote(&documents)?;
        let mut surest = lower_bound(agreeing_count, documents.len());
        let mut chosen = (documents.clone(), key.len());
        let mut narrowed = documents;
        for word in &words[end..] {
            let Some(token) = self.vocabulary.get(word) else {
                break;
            };
            if key.iter().any(|(id, _)| *id == Some(*token)) {
                break;
            }
            narrowed = intersect(&narrowed, &self.postings[*token]);
            if narrowed.is_empty() {
                break;
            }
            key.push((Some(*token), word.as_str()));
            let Some((candidate, count)) = vote(&narrowed) else {
                break;
            };
            let sureness = lower_bound(count, narrowed.len());
            if sureness >= surest {
                (account, agreeing_count, surest) = (candidate, count, sureness);
                chosen = (narrowed.clone(), key.len());
            }
        }
        let (documents, key_length) = chosen;
        key.truncate(key_length);
        let agreeing: Vec<u32> = documents
            .iter()
            .copied()
            .filter(|document| self.documents[*document as usize].0 == account)
            .collect();
        debug_assert_eq!(agreeing.len(), agreeing_count);
        let key_words: Vec<&str> = key.iter().map(|(_, word)| *word).collect();
        Some(Prediction {
            account: self.accounts[account].clone(),
            posterior: scores[account] / sum,
            key: key_words.join(" "),
            agreeing: agreeing.len(),
            sharing: documents.len(),
            payee: self.usual_payee(&agreeing),
        })
    }
}

/// A lower bound on the share of lines like these that go to the suggested
/// account, given that `agreeing` of `sharing` past ones did: the Wilson score
/// interval's lower end at one-sided 95%. Small samples are not trusted: ten of
/// ten gives 0.79, thirty of thirty 0.92.
fn lower_bound(agreeing: usize, sharing: usize) -> f64 {
    if sharing == 0 {
        return 0.0;
    }
    let n = sharing as f64;
    let p = agreeing as f64 / n;
    let z2 = WILSON_Z * WILSON_Z;
    let spread = WILSON_Z * ((p * (1.0 - p) + z2 / (4.0 * n)) / n).sqrt();
    ((p + z2 / (2.0 * n) - spread) / (1.0 + z2 / n)).clamp(0.0, 1.0)
}

/// Where a payee's name was found among a line's words.
#[derive(Debug)]
struct NameFound<'n> {
    start: usize,
    end: usize,
    /// Characters shown, spaces included.
    shown: usize,
    /// The whole last word of the name when the line cuts it short.
    cut: Option<&'n str>,
}

#[derive(Debug)]
struct Prediction {
    account: String,
    posterior: f64,
    key: String,
    agreeing: usize,
    sharing: usize,
    payee: Option<String>,
}

/// Two ascending lists of documents merged, ascending, without repeats.
fn union(a: &[u32], b: &[u32]) -> Vec<u32> {
    let mut out: Vec<u32> = a.iter().chain(b).copied().collect();
    out.sort_unstable();
    out.dedup();
    out
}

fn intersect(a: &[u32], b: &[u32]) -> Vec<u32> {
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::new();
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                out.push(a[i]);
                i += 1;
                j += 1;
            }
        }
    }
    out
}

/// The company's learned categorization: one model for money out, one for money in.
#[derive(Debug, Clone, Default)]
pub struct Categorizer {
    money_out: Model,
    money_in: Model,
}

impl Categorizer {
    /// Learns from past Purchases (negative amounts) and Deposits (positive).
    pub fn train(history: &[HistoryEntry]) -> Categorizer {
        let out: Vec<&HistoryEntry> = history
            .iter()
            .filter(|entry| entry.amount < Decimal::ZERO)
            .collect();
        let into: Vec<&HistoryEntry> = history
            .iter()
            .filter(|entry| entry.amount >= Decimal::ZERO)
            .collect();
        Categorizer {
            money_out: Model::train(&out),
            money_in: Model::train(&into),
        }
    }

    /// The suggestion for one line: a matching rule, else the history, else none.
    pub fn suggest(&self, rules: &Rules, line: &StatementLine) -> Suggestion {
        let kind = txn_type(line.amount);
        if let Some(rule) = rules.find(line) {
            return Suggestion {
                txn_type: kind,
                account: rule.account.clone(),
                payee: rule.payee.clone().or_else(|| new_payee_name(line)),
                payee_is_new: rule.payee.is_none(),
                confidence: 1.0,
                source: Source::Rule,
                explanation: format!("your rule '{}'", rule.name),
            };
        }
        let model = if kind == TxnType::Purchase {
            &self.money_out
        } else {
            &self.money_in
        };
        let words = tokens(&line.description);
        match model.predict(&words) {
            Some(prediction) => {
                let evidence = lower_bound(prediction.agreeing, prediction.sharing);
                let confidence = prediction.posterior.min(evidence).clamp(0.0, 1.0);
                let (payee, payee_is_new) = match prediction.payee {
                    Some(payee) => (Some(payee), false),
                    None => (new_payee_name(line), true),
                };
                let explanation = format!(
                    "{} of {} past '{}' {} went to {}",
                    prediction.agreeing,
                    prediction.sharing,
                    prediction.key,
                    if prediction.sharing == 1 {
                        "line"
                    } else {
                        "lines"
                    },
                    prediction.account
                );
                Suggestion {
                    txn_type: kind,
                    account: Some(prediction.account),
                    payee,
                    payee_is_new,
                    confidence,
                    source: Source::History,
                    explanation,
                }
            }
            None => Suggestion {
                txn_type: kind,
                account: None,
                payee: new_payee_name(line),
                payee_is_new: true,
                confidence: 0.0,
                source: Source::None,
                explanation: "nothing like it in this company's history and no rule matches".into(),
            },
        }
    }
}

/// A name for a payee the company has never paid: the file's own payee field,
/// else the first words of the description that are not banking boilerplate,
/// in title case ("POS DEBIT SHELL OIL 5744" gives "Shell Oil").
pub fn new_payee_name(line: &StatementLine) -> Option<String> {
    if let Some(payee) = line
        .payee
        .as_deref()
        .map(str::trim)
        .filter(|payee| !payee.is_empty())
    {
        return Some(payee.to_string());
    }
    let words: Vec<String> = tokens(&line.description)
        .into_iter()
        .filter(|word| !BOILERPLATE.contains(&word.as_str()))
        .take(3)
        .map(|word| {
            let mut chars = word.chars();
            chars
                .next()
                .map(|first| {
                    first
                        .to_uppercase()
                        .chain(chars.flat_map(char::to_lowercase))
                        .collect()
                })
                .unwrap_or_default()
        })
        .collect();
    (!words.is_empty()).then(|| words.join(" "))
}

/// The past lines of QBO `Purchase` and `Deposit` documents (as stored, the
/// entity object itself), one per document: its description (the first line's
/// `Description`, else `PrivateNote`), its largest line's account, its payee.
/// Other documents give nothing.
pub fn history_from_qbo(kind: &str, document: &Value) -> Option<HistoryEntry> {
    let date = NaiveDate::parse_from_str(document.get("TxnDate")?.as_str()?, "%Y-%m-%d").ok()?;
    let total = decimal(document.get("TotalAmt")?)?;
    let lines = document.get("Line")?.as_array()?;
    let (detail, amount_sign) = match kind {
        "Purchase" => ("AccountBasedExpenseLineDetail", Decimal::NEGATIVE_ONE),
        "Deposit" => ("DepositLineDetail", Decimal::ONE),
        _ => return None,
    };
    let main = lines
        .iter()
        .filter(|line| line.get(detail).is_some())
        .max_by_key(|line| line.get("Amount").and_then(decimal).unwrap_or_default())?;
    let account_ref = main.get(detail)?.get("AccountRef")?;
    let account = account_ref
        .get("name")
        .or_else(|| account_ref.get("value"))?
        .as_str()?
        .to_string();
    let description = lines
        .iter()
        .find_map(|line| line.get("Description").and_then(Value::as_str))
        .or_else(|| document.get("PrivateNote").and_then(Value::as_str))
        .unwrap_or_default()
        .to_string();
    let payee = match kind {
        "Purchase" => document.get("EntityRef"),
        _ => main.get(detail).and_then(|detail| detail.get("Entity")),
    }
    .and_then(|entity| entity.get("name"))
    .and_then(Value::as_str)
    .map(str::to_string);
    let description = if description.is_empty() {
        payee.clone().unwrap_or_default()
    } else {
        description
    };
    Some(HistoryEntry {
        date,
        description,
        amount: total * amount_sign,
        account,
        payee,
    })
}

/// The history in a company's stored documents, as `(type, entity)` pairs: every
/// Purchase and Deposit that reads; other types and unreadable documents give
/// nothing.
pub fn history_from_documents<'a>(
    documents: impl IntoIterator<Item = (&'a str, &'a Value)>,
) -> Vec<HistoryEntry> {
    documents
        .into_iter()
        .filter_map(|(kind, document)| history_from_qbo(kind, document))
        .collect()
}

fn decimal(value: &Value) -> Option<Decimal> {
    match value {
        Value::Number(number) => number.to_string().parse().ok(),
        Value::String(text) => text.parse().ok(),
        _ => None,
    }
}

/// How well the history predicts itself: trained on the first share of the
/// entries by date, asked about the rest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QualityReport {
    pub trained_on: usize,
    pub tested: usize,
    /// Test lines whose suggested account was the one actually used.
    pub top1_correct: usize,
    /// Test lines suggested above 0.9, and how many of those were right.
    pub confident: usize,
    pub confident_correct: usize,
}

impl QualityReport {
    pub fn top1_accuracy(&self) -> f64 {
        ratio(self.top1_correct, self.tested)
    }

    /// The accuracy of suggestions above 0.9 (1.0 when there are none).
    pub fn confident_accuracy(&self) -> f64 {
        if self.confident == 0 {
            1.0
        } else {
            ratio(self.confident_correct, self.confident)
        }
    }
}

fn ratio(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

/// Trains on the first `train_percent` of `history` by date and suggests for the
/// rest from their descriptions and amounts alone (no rules).
pub fn evaluate(history: &[HistoryEntry], train_percent: usize) -> QualityReport {
    let mut sorted: Vec<&HistoryEntry> = history.iter().collect();
    sorted.sort_by_key(|entry| entry.date);
    let cut = sorted.len() * train_percent.min(100) / 100;
    let train: Vec<HistoryEntry> = sorted[..cut].iter().map(|entry| (*entry).clone()).collect();
    let categorizer = Categorizer::train(&train);
    let rules = Rules::empty();
    let mut report = QualityReport {
        trained_on: cut,
        tested: sorted.len() - cut,
        top1_correct: 0,
        confident: 0,
        confident_correct: 0,
    };
    for entry in &sorted[cut..] {
        let line = StatementLine {
            date: entry.date,
            amount: entry.amount,
            description: entry.description.clone(),
            fitid: None,
            payee: None,
            check_number: None,
            bank_type: None,
            source_line: 0,
        };
        let suggestion = categorizer.suggest(&rules, &line);
        let correct = suggestion.account.as_deref() == Some(entry.account.as_str());
        report.top1_correct += usize::from(correct);
        if suggestion.confidence > 0.9 {
            report.confident += 1;
            report.confident_correct += usize::from(correct);
        }
    }
    report
}
