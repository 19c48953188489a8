//! A headless command-line front end over app-core, for scripts, servers and cron.
//!
//! Every subcommand is a short delegation to [`app_core::AppCore`]. Output is
//! a human-readable summary, or with `--json` one JSON document on stdout
//! that scripts can parse. Errors go to stderr as one sentence that says what
//! to do, and the exit code tells scripts what kind of failure it was:
//!
//! | code | meaning |
//! |---|---|
//! | 0 | done |
//! | 1 | an unexpected failure (see the log on stderr) |
//! | 2 | bad input: fix the command or the JSON |
//! | 3 | the company must be (re)connected |
//! | 4 | busy, throttled or cancelled: try again later |
//! | 5 | the sync finished but left conflicts open (only with `sync --fail-on-conflicts`) |
//! | 6 | the sync finished but held back or QuickBooks refused some records (`sync`) |

use std::io::{Read, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use app_core::{
    AppCore, AppPaths, ChoiceInput, CoreError, CoreOptions, CoreResult, HistoryQuery, RecordQuery,
    ResolutionInput,
};
use clap::{Args, Parser, Subcommand, ValueEnum};
use serde::Serialize;
use serde_json::{Value, json};

/// Keeps an accountant's books and their clients' QuickBooks Online companies in sync.
#[derive(Debug, Parser)]
#[command(
    name = "ledgerlink",
    version,
    after_help = "Exit codes: 0 done; 1 unexpected failure; 2 bad input (fix the command or the JSON); \
3 the company must be (re)connected; 4 busy, throttled or cancelled (try again later); \
5 conflicts left open (sync --fail-on-conflicts only); \
6 some records were held back or refused by QuickBooks (sync)."
)]
pub struct Cli {
    /// The data folder (companies, databases, exports). Defaults to the
    /// desktop app's folder for this user.
    #[arg(long, global = true, env = "LEDGERLINK_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Print one JSON document instead of text.
    #[arg(long, global = true)]
    pub json: bool,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Add, connect, list, disconnect or remove companies.
    #[command(subcommand)]
    Company(CompanyCommand),
    /// Sync a company once, or keep syncing (--watch).
    ///
    /// Exits 6 when some records were held back or QuickBooks refused them
    /// (the JSON report lists them under `failed`), 5 with
    /// --fail-on-conflicts when conflicts are open, 0 when all went through.
    Sync {
        /// The company (its id, or a unique start of its name).
        company: String,
        /// Keep syncing every --interval minutes until stopped.
        #[arg(long)]
        watch: bool,
        /// Minutes between syncs with --watch.
        #[arg(long, default_value_t = app_core::DEFAULT_SYNC_INTERVAL_MINUTES)]
        interval: u32,
        /// Exit with code 5 when conflicts are open after the sync.
        #[arg(long)]
        fail_on_conflicts: bool,
    },
    /// A company's state: connection, last sync, pending changes, conflicts.
    Status {
        /// The company.
        company: String,
    },
    /// List, show, create, edit, delete or void records (JSON in and out).
    #[command(subcommand)]
    Records(RecordsCommand),
    /// List, show or resolve conflicts.
    #[command(subcommand)]
    Conflicts(ConflictsCommand),
    /// The history of applied operations, newest first.
    History {
        /// The company.
        company: String,
        /// Only this record's history.
        #[arg(long)]
        record: Option<String>,
        /// How many entries.
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// Undo one change from the history (pushed on the next sync).
    Undo {
        /// The company.
        company: String,
        /// The history entry's id.
        history_id: i64,
    },
    /// What the next push would send, without sending it.
    DryRun {
        /// The company.
        company: String,
    },
    /// Import a bank or card statement (OFX, QFX, CSV or a text PDF) into the review inbox.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Review imported statement lines: list, accept (into pending records) or exclude;
    /// manage the categorization rules.
    #[command(subcommand)]
    Inbox(InboxCommand),
    /// Export the company's books to another format.
    #[command(subcommand)]
    Export(ExportCommand),
}

/// `import …`
#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Import a statement file. Lines imported before are skipped; lines that
    /// match a transaction already in the books (same account, same amount,
    /// date within 3 days) are marked already in QuickBooks.
    ///
    /// A CSV whose layout is unsure imports nothing and exits 2 with the
    /// detected layout; check it and run again with --accept-layout. The
    /// layout is then remembered for the bank account.
    Statement {
        /// The company.
        company: String,
        /// The statement file.
        file: PathBuf,
        /// The bank or credit card account (its name or id); found from the
        /// file, or the only one, when left out.
        #[arg(long)]
        account: Option<String>,
        /// Use the detected CSV layout even though it is unsure.
        #[arg(long)]
        accept_layout: bool,
    },
}

/// The states of an inbox entry, for `inbox list --state`.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum InboxStateArg {
    /// Waiting for review.
    New,
    /// Made into a pending record.
    Accepted,
    /// Left out.
    Excluded,
    /// Matches a transaction already in the books.
    AlreadyInQuickbooks,
}

/// `inbox …`
#[derive(Debug, Subcommand)]
pub enum InboxCommand {
    /// The inbox's entries with their suggestions, newest first.
    List {
        /// The company.
        company: String,
        /// Only entries in these states.
        #[arg(long, value_enum)]
        state: Vec<InboxStateArg>,
        /// How many entries.
        #[arg(long, default_value_t = 200)]
        limit: u32,
    },
    /// Accept entries by id, or every new entry suggested with at least
    /// --min-confidence; each becomes a pending Purchase or Deposit that
    /// the next sync sends (both sides of a transfer between imported
    /// accounts become one Deposit into the receiving account).
    Accept {
        /// The company.
        company: String,
        /// The entries' ids.
        ids: Vec<i64>,
        /// Accept every new entry at or above this confidence (0 to 1).
        #[arg(long, conflicts_with = "ids")]
        min_confidence: Option<f64>,
        /// The account to use instead of the suggestion (name or id).
        #[arg(long)]
        account: Option<String>,
        /// The payee to use instead of the suggestion.
        #[arg(long)]
        payee: Option<String>,
        /// A memo for the record.
        #[arg(long)]
        memo: Option<String>,
        /// Accept entries already in QuickBooks anyway.
        #[arg(long)]
        force: bool,
    },
    /// Leave entries out: they are never sent.
    Exclude {
        /// The company.
        company: String,
        /// The entries' ids.
        #[arg(required = true)]
        ids: Vec<i64>,
    },
    /// Your categorization rules: tried in order before what is learnt
    /// from the company's history.
    #[command(subcommand)]
    Rules(RulesCommand),
}

/// `inbox rules …`
#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// The rules, in the order they are tried.
    List {
        /// The company.
        company: String,
    },
    /// Add a rule after the others. Every condition given must hold; it
    /// suggests the account and/or payee. The open inbox entries'
    /// suggestions are worked out again.
    Add {
        /// The company.
        company: String,
        /// The description contains this text (any case).
        #[arg(long)]
        contains: Option<String>,
        /// The description matches this regular expression (any case).
        #[arg(long)]
        regex: Option<String>,
        /// The signed amount is at least this (money out is negative, so
        /// -100 means "out, up to 100").
        #[arg(long, allow_hyphen_values = true)]
        min: Option<String>,
        /// The signed amount is at most this.
        #[arg(long, allow_hyphen_values = true)]
        max: Option<String>,
        /// The account to suggest (its name or id).
        #[arg(long)]
        account: Option<String>,
        /// The payee to suggest.
        #[arg(long)]
        payee: Option<String>,
        /// A name for the rule, shown as the suggestion's why; made from
        /// the conditions when left out.
        #[arg(long)]
        name: Option<String>,
    },
    /// Remove a rule by its id (see `inbox rules list`); the open inbox
    /// entries' suggestions are worked out again.
    Remove {
        /// The company.
        company: String,
        /// The rule's id.
        id: u32,
    },
}

/// `export …`
#[derive(Debug, Subcommand)]
pub enum ExportCommand {
    /// The lists and the transactions between two dates as a QuickBooks
    /// Desktop IIF file.
    Iif {
        /// The company.
        company: String,
        /// The first day (YYYY-MM-DD).
        #[arg(long)]
        from: String,
        /// The last day (YYYY-MM-DD).
        #[arg(long)]
        to: String,
        /// The file to write.
        #[arg(short = 'o', long = "output")]
        output: PathBuf,
    },
}

/// `company …`
#[derive(Debug, Subcommand)]
pub enum CompanyCommand {
    /// Add a company: `quickbooks` (through the relay), `demo`, or with your
    /// own Intuit app's keys (`sandbox`, `production`) or an emulator's.
    Add(AddCompany),
    /// Connect a company: prints the consent URL and waits for the browser.
    Connect {
        /// The company.
        company: String,
    },
    /// Every company.
    List,
    /// Revoke the connection and forget the tokens (local data stays).
    Disconnect {
        /// The company.
        company: String,
    },
    /// Remove a company and its local data (QuickBooks is not touched).
    Remove {
        /// The company.
        company: String,
    },
}

/// Where a company is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Source {
    /// A QuickBooks company through the relay (LEDGERLINK_RELAY_URL, the
    /// app's setting, or the one built in): no keys needed.
    Quickbooks,
    /// The built-in demo company (an embedded QuickBooks emulator).
    Demo,
    /// Intuit's sandbox.
    Sandbox,
    /// Intuit's production.
    Production,
    /// A QuickBooks emulator at --discovery-url.
    Emulator,
}

/// `company add …`
#[derive(Debug, Args)]
pub struct AddCompany {
    /// Where the company is.
    #[arg(value_enum)]
    pub source: Source,
    /// A label for the company (for `quickbooks`, QuickBooks' name of the
    /// company when left out).
    #[arg(long)]
    pub name: Option<String>,
    /// The OpenID discovery URL (required for an emulator).
    #[arg(long)]
    pub discovery_url: Option<String>,
    /// The Accounting API address (an emulator's base URL; Intuit's by default).
    #[arg(long)]
    pub api_url: Option<String>,
    /// Your Intuit app's client id: set once for the app (with the secret
    /// from --client-secret-env) and used for every company added with
    /// `sandbox` or `production`; leave it out to use the keys set before.
    #[arg(long)]
    pub client_id: Option<String>,
    /// The environment variable holding your app's client secret (never put
    /// a secret on the command line, where other users can see it).
    #[arg(long, default_value = "LEDGERLINK_CLIENT_SECRET")]
    pub client_secret_env: String,
    /// A hosted https redirect page (production keys need one).
    #[arg(long)]
    pub redirect_page: Option<String>,
}

/// `records …`
#[derive(Debug, Subcommand)]
pub enum RecordsCommand {
    /// List records.
    List {
        /// The company.
        company: String,
        /// One entity type, e.g. Invoice.
        #[arg(long = "type")]
        entity_type: Option<String>,
        /// Text to find in names, numbers, customers and vendors.
        #[arg(long)]
        search: Option<String>,
        /// Rows to skip.
        #[arg(long, default_value_t = 0)]
        offset: u32,
        /// Rows to return.
        #[arg(long, default_value_t = 100)]
        limit: u32,
    },
    /// Show one record (its local, base and QuickBooks versions).
    Show {
        /// The company.
        company: String,
        /// The record's local id.
        local_id: String,
    },
    /// Create a record from JSON (a file, or stdin with `-`).
    Create {
        /// The company.
        company: String,
        /// The entity type, e.g. Invoice.
        #[arg(long = "type")]
        entity_type: String,
        /// The JSON file, or `-` for stdin.
        #[arg(long, default_value = "-")]
        file: String,
    },
    /// Edit a record with JSON (a file, or stdin with `-`).
    ///
    /// The JSON is a merge patch (RFC 7396) onto the record's local version:
    /// `{"PrivateNote": "checked"}` changes the memo and keeps everything
    /// else, lines included; `null` removes a field; an array (`Line`)
    /// replaces the whole array. With --replace the JSON is the whole record.
    Edit {
        /// The company.
        company: String,
        /// The record's local id.
        local_id: String,
        /// The JSON file, or `-` for stdin.
        #[arg(long, default_value = "-")]
        file: String,
        /// The JSON is the whole record, not a patch: fields it leaves out
        /// are removed.
        #[arg(long)]
        replace: bool,
    },
    /// Delete a transaction (or make a list entry inactive).
    Delete {
        /// The company.
        company: String,
        /// The record's local id.
        local_id: String,
    },
    /// Void a transaction.
    Void {
        /// The company.
        company: String,
        /// The record's local id.
        local_id: String,
    },
    /// Count a product's stock at a location; at the default location the
    /// counted change reaches QuickBooks on the next sync.
    Count {
        /// The company.
        company: String,
        /// The product's (Item record's) local id.
        local_id: String,
        /// The quantity counted on hand (a decimal).
        on_hand: String,
        /// The location's id; `main` is the default location, whose
        /// quantity QuickBooks holds.
        #[arg(long, default_value = "main")]
        location: String,
        /// The reorder minimum (a decimal).
        #[arg(long)]
        minimum: Option<String>,
    },
}

/// `conflicts …`
#[derive(Debug, Subcommand)]
pub enum ConflictsCommand {
    /// Open conflicts.
    List {
        /// The company.
        company: String,
    },
    /// One conflict with base, local and QuickBooks values per field.
    Show {
        /// The company.
        company: String,
        /// The conflict's id.
        conflict_id: i64,
    },
    /// Resolve a conflict.
    Resolve {
        /// The company.
        company: String,
        /// The conflict's id.
        conflict_id: i64,
        /// Take one side for every field.
        #[arg(long, value_enum, conflicts_with = "choices")]
        take: Option<Side>,
        /// A JSON file (or `-`) mapping each field path to "local", "remote"
        /// or {"value": …}.
        #[arg(long)]
        choices: Option<String>,
    },
}

/// A whole-record choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Side {
    /// The app's version.
    Local,
    /// QuickBooks' version.
    Remote,
    /// Edit versus delete: keep the edited version.
    KeepLocalVersion,
    /// Edit versus delete: let the deletion stand.
    AcceptDelete,
}

/// What a command printed and how the process should exit.
#[derive(Debug)]
pub struct Outcome {
    /// The exit code.
    pub code: u8,
}

/// Runs a parsed command line; never panics, every failure is reported.
pub async fn run(cli: Cli) -> Outcome {
    let json_output = cli.json;
    match execute(cli).await {
        Ok(code) => Outcome { code },
        Err(error) => {
            if json_output {
                let document =
                    json!({ "error": { "kind": error.kind(), "message": error.to_string() } });
                println_out(&document.to_string());
            }
            eprintln_err(&format!("ledgerlink: {error}"));
            Outcome {
                code: error.exit_code(),
            }
        }
    }
}

async fn execute(cli: Cli) -> CoreResult<u8> {
    let data_dir = match cli.data_dir {
        Some(dir) => dir,
        None => default_data_dir()?,
    };
    let paths = AppPaths {
        log_dir: data_dir.join("logs"),
        data_dir,
    };
    let vault = secrets::KeyringVault::for_ledgerlink().map_err(CoreError::Vault)?;
    let mut options = CoreOptions::with_vault(Arc::new(vault));
    options.demo = app_core::DemoOptions::from_env();
    let core = AppCore::open(paths, options).await?;
    let printer = Printer { json: cli.json };
    match cli.command {
        Command::Company(command) => company(&core, &printer, command).await,
        Command::Sync {
            company,
            watch,
            interval,
            fail_on_conflicts,
        } => {
            let id = resolve_company(&core, &company).await?;
            loop {
                let report = core
                    .sync_now(&id, |progress| {
                        tracing::debug!(?progress, "sync progress");
                    })
                    .await?;
                let summary = core.company(&id).await?;
                printer.print(&json!({ "report": report, "company": summary }), || {
                    format!(
                        "pulled {}, pushed {}, new conflicts {}, failed {}; open conflicts {}, pending {}",
                        report.pulled,
                        report.pushed,
                        report.conflicts_opened,
                        report.failed.len(),
                        summary.open_conflicts,
                        summary.pending_changes
                    )
                });
                if !watch {
                    // Held-back or refused records come first: they are
                    // edits that did not reach QuickBooks, which a script
                    // must not take for a clean sync.
                    if !report.failed.is_empty() {
                        return Ok(6);
                    }
                    if fail_on_conflicts && summary.open_conflicts > 0 {
                        return Ok(5);
                    }
                    return Ok(0);
                }
                let minutes = interval.max(app_core::MIN_SYNC_INTERVAL_MINUTES);
                tokio::time::sleep(Duration::from_secs(u64::from(minutes) * 60)).await;
            }
        }
        Command::Status { company } => {
            let id = resolve_company(&core, &company).await?;
            let summary = core.company(&id).await?;
            printer.print(&summary, || describe_company(&summary));
            Ok(0)
        }
        Command::Records(command) => records(&core, &printer, command).await,
        Command::Conflicts(command) => conflicts(&core, &printer, command).await,
        Command::History {
            company,
            record,
            limit,
        } => {
            let id = resolve_company(&core, &company).await?;
            let page = core
                .list_history(
                    &id,
                    HistoryQuery {
                        local_id: record,
                        offset: 0,
                        limit,
                    },
                )
                .await?;
            printer.print(&page, || {
                page.rows
                    .iter()
                    .map(|row| {
                        format!(
                            "{:>6}  {}  {:<5} {:<8} {}",
                            row.id,
                            row.at,
                            row.direction.as_str(),
                            row.operation,
                            row.summary
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            });
            Ok(0)
        }
        Command::Undo {
            company,
            history_id,
        } => {
            let id = resolve_company(&core, &company).await?;
            let outcome = core.undo_change(&id, history_id).await?;
            printer.print(&outcome, || {
                format!(
                    "queued the undo of entry {history_id} for the next sync ({})",
                    outcome.record.row.local_id
                )
            });
            Ok(0)
        }
        Command::Import(command) => import(&core, &printer, command).await,
        Command::Inbox(command) => inbox(&core, &printer, command).await,
        Command::Export(ExportCommand::Iif {
            company,
            from,
            to,
            output,
        }) => {
            let id = resolve_company(&core, &company).await?;
            let report = core
                .export_iif(&id, app_core::IifExportInput { from, to }, Some(output))
                .await?;
            printer.print(&report, || {
                format!(
                    "wrote {} list entries and {} transactions to {}",
                    report.list_entries, report.transactions, report.path
                )
            });
            Ok(0)
        }
        Command::DryRun { company } => {
            let id = resolve_company(&core, &company).await?;
            let dry_run = core.pending_changes(&id).await?;
            printer.print(&dry_run, || {
                let mut lines: Vec<String> = dry_run
                    .operations
                    .iter()
                    .map(|operation| format!("{:<10} {}", operation.operation, operation.label))
                    .collect();
                for held in &dry_run.issues {
                    for issue in &held.issues {
                        lines.push(format!("held back  {}: {}", held.label, issue.message));
                    }
                }
                if lines.is_empty() {
                    lines.push("nothing to push".to_owned());
                }
                lines.join("\n")
            });
            Ok(0)
        }
    }
}

fn describe_entry(entry: &app_core::InboxEntryView) -> String {
    let head = format!(
        "{:>6}  {}  {:>12}  {:<22} {:<40}",
        entry.id,
        entry.date,
        entry.amount,
        format!("{:?}", entry.state),
        entry.description,
    );
    match &entry.accepted {
        // What the user chose replaces the suggestion's confidence and why.
        Some(accepted) if entry.edited_by_user => {
            let account = if accepted.splits.is_empty() {
                entry
                    .accepted_account_name
                    .clone()
                    .unwrap_or_else(|| "none".to_owned())
            } else {
                format!("split over {} accounts", accepted.splits.len())
            };
            format!("{head} -> account {account} (set by you)")
        }
        _ => format!(
            "{head} -> {} ({:.2}; {})",
            entry
                .suggestion
                .account_name
                .as_deref()
                .unwrap_or("no suggestion"),
            entry.suggestion.confidence,
            entry.suggestion.explanation
        ),
    }
}

fn describe_rule(rule: &app_core::StatementRuleView) -> String {
    let mut sets = Vec::new();
    if let Some(account) = &rule.account_name {
        sets.push(format!("account {account}"));
    }
    if let Some(payee) = &rule.payee {
        sets.push(format!("payee {payee}"));
    }
    format!("{:>4}  {} -> {}", rule.id, rule.name, sets.join(", "))
}

async fn rules(core: &AppCore, printer: &Printer, command: RulesCommand) -> CoreResult<u8> {
    let report = match command {
        RulesCommand::List { company } => {
            let id = resolve_company(core, &company).await?;
            let rules = core.list_statement_rules(&id).await?;
            printer.print(&rules, || {
                if rules.is_empty() {
                    "no rules".to_owned()
                } else {
                    rules
                        .iter()
                        .map(describe_rule)
                        .collect::<Vec<_>>()
                        .join("\n")
                }
            });
            return Ok(0);
        }
        RulesCommand::Add {
            company,
            contains,
            regex,
            min,
            max,
            account,
            payee,
            name,
        } => {
            let id = resolve_company(core, &company).await?;
            core.add_statement_rule(
                &id,
                app_core::StatementRuleInput {
                    name,
                    text_contains: contains,
                    regex,
                    amount_min: min,
                    amount_max: max,
                    account,
                    payee,
                },
            )
            .await?
        }
        RulesCommand::Remove { company, id: rule } => {
            let id = resolve_company(core, &company).await?;
            core.remove_statement_rule(&id, rule).await?
        }
    };
    printer.print(&report, || {
        let mut lines: Vec<String> = report.rules.iter().map(describe_rule).collect();
        lines.push(format!(
            "{} rules; {} open inbox entries got a new suggestion",
            report.rules.len(),
            report.resuggested
        ));
        lines.join("\n")
    });
    Ok(0)
}

async fn import(core: &AppCore, printer: &Printer, command: ImportCommand) -> CoreResult<u8> {
    let ImportCommand::Statement {
        company,
        file,
        account,
        accept_layout,
    } = command;
    let id = resolve_company(core, &company).await?;
    let bytes = std::fs::read(&file).map_err(|source| CoreError::Io {
        what: format!("Reading {}", file.display()),
        source,
    })?;
    let name = file
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut report = core
        .import_statement_bytes(&id, &name, &bytes, account.as_deref(), None)
        .await?;
    if let Some(proposal) = report.needs_layout.clone() {
        if !accept_layout {
            printer.print(&report, || {
                format!(
                    "the CSV layout is unsure: {}\ndetected: {}",
                    proposal.notes.join("; "),
                    serde_json::to_string(&proposal.layout).unwrap_or_default()
                )
            });
            return Err(CoreError::Invalid(
                "Nothing was imported: the CSV layout is unsure. Check the detected layout and run again with --accept-layout.".to_owned(),
            ));
        }
        report = core
            .import_statement_bytes(
                &id,
                &name,
                &bytes,
                account.as_deref(),
                Some(&proposal.layout),
            )
            .await?;
    }
    printer.print(&report, || {
        let mut lines = vec![format!(
            "{} lines read into {}: {} imported, {} skipped as duplicates, {} already in QuickBooks",
            report.lines_read,
            report.bank_account_name,
            report.imported,
            report.duplicates,
            report.already_in_quickbooks
        )];
        lines.extend(report.entries.iter().map(describe_entry));
        lines.join("\n")
    });
    Ok(0)
}

async fn inbox(core: &AppCore, printer: &Printer, command: InboxCommand) -> CoreResult<u8> {
    match command {
        InboxCommand::List {
            company,
            state,
            limit,
        } => {
            let id = resolve_company(core, &company).await?;
            let states = state
                .iter()
                .map(|state| match state {
                    InboxStateArg::New => app_core::InboxState::New,
                    InboxStateArg::Accepted => app_core::InboxState::Accepted,
                    InboxStateArg::Excluded => app_core::InboxState::Excluded,
                    InboxStateArg::AlreadyInQuickbooks => app_core::InboxState::AlreadyInQuickbooks,
                })
                .collect();
            let page = core
                .list_inbox(
                    &id,
                    app_core::InboxQuery {
                        states,
                        limit,
                        ..app_core::InboxQuery::default()
                    },
                )
                .await?;
            printer.print(&page, || {
                let mut lines: Vec<String> = page.entries.iter().map(describe_entry).collect();
                lines.push(format!(
                    "{} of {} entries; new {}, accepted {}, excluded {}, already in QuickBooks {}",
                    page.entries.len(),
                    page.total,
                    page.counts.new,
                    page.counts.accepted,
                    page.counts.excluded,
                    page.counts.already_in_quickbooks
                ));
                lines.join("\n")
            });
            Ok(0)
        }
        InboxCommand::Accept {
            company,
            ids,
            min_confidence,
            account,
            payee,
            memo,
            force,
        } => {
            let id = resolve_company(core, &company).await?;
            let report = match min_confidence {
                Some(min_confidence) => {
                    if account.is_some() || payee.is_some() || memo.is_some() || force {
                        return Err(CoreError::Invalid(
                            "--min-confidence accepts the suggestions as they are; give entry ids to change them.".to_owned(),
                        ));
                    }
                    core.bulk_accept_inbox(
                        &id,
                        app_core::BulkAcceptInput {
                            min_confidence,
                            import_id: None,
                        },
                    )
                    .await?
                }
                None => {
                    if ids.is_empty() {
                        return Err(CoreError::Invalid(
                            "Name the entries to accept by id, or give --min-confidence."
                                .to_owned(),
                        ));
                    }
                    let mut report = app_core::AcceptReport::default();
                    for entry_id in ids {
                        let edits = app_core::AcceptEdits {
                            account_id: account.clone(),
                            payee: payee.clone(),
                            memo: memo.clone(),
                            ..app_core::AcceptEdits::default()
                        };
                        let done = core
                            .accept_inbox_entry(
                                &id,
                                app_core::AcceptInput {
                                    entry_id,
                                    edits: Some(edits),
                                    force,
                                },
                            )
                            .await?;
                        report.accepted.extend(done.accepted);
                    }
                    report
                }
            };
            printer.print(&report, || {
                let mut lines: Vec<String> = report.accepted.iter().map(describe_entry).collect();
                lines.extend(
                    report
                        .skipped
                        .iter()
                        .map(|skipped| format!("skipped {}: {}", skipped.id, skipped.reason)),
                );
                lines.push(format!(
                    "accepted {}; they are sent on the next sync",
                    report.accepted.len()
                ));
                lines.join("\n")
            });
            Ok(0)
        }
        InboxCommand::Rules(command) => rules(core, printer, command).await,
        InboxCommand::Exclude { company, ids } => {
            let id = resolve_company(core, &company).await?;
            let entries = core.exclude_inbox_entries(&id, &ids).await?;
            printer.print(&entries, || {
                entries
                    .iter()
                    .map(describe_entry)
                    .collect::<Vec<_>>()
                    .join("\n")
            });
            Ok(0)
        }
    }
}

async fn company(core: &AppCore, printer: &Printer, command: CompanyCommand) -> CoreResult<u8> {
    match command {
        CompanyCommand::Add(add) => {
            let summary = match add.source {
                Source::Quickbooks => core.add_quickbooks_company(add.name).await?,
                Source::Demo => core.add_demo_company().await?,
                Source::Sandbox | Source::Production => {
                    if let Some(client_id) = add.client_id {
                        let secret = client_secret(&add.client_secret_env)?;
                        core.set_own_keys(app_core::OwnKeysInput {
                            client_id,
                            client_secret: secret,
                            environment: if add.source == Source::Sandbox {
                                "sandbox"
                            } else {
                                "production"
                            }
                            .to_owned(),
                        })
                        .await?;
                    }
                    core.add_intuit_company(app_core::IntuitKeysInput {
                        name: add.name.unwrap_or_else(|| "QuickBooks company".to_owned()),
                        redirect_page: add.redirect_page,
                    })
                    .await?
                }
                Source::Emulator => {
                    let secret = client_secret(&add.client_secret_env)?;
                    core.add_company(app_core::NewCompany {
                        name: add.name.unwrap_or_else(|| "QuickBooks company".to_owned()),
                        environment: "emulator".to_owned(),
                        discovery_url: add.discovery_url,
                        api_base_url: add.api_url,
                        client_id: add.client_id.unwrap_or_default(),
                        client_secret: secrets::Sensitive::new(secret),
                        redirect_page: add.redirect_page,
                    })
                    .await?
                }
            };
            printer.print(&summary, || {
                format!("added {} ({})", summary.name, summary.id)
            });
            Ok(0)
        }
        CompanyCommand::Connect { company } => {
            let id = resolve_company(core, &company).await?;
            let summary = core
                .connect_company(&id, |url| {
                    eprintln_err(&format!(
                        "Open this address in a browser and approve the connection:\n{url}\n\
                         Waiting up to {} minutes for the browser to come back to this computer \
                         with QuickBooks' answer (Ctrl-C stops)...",
                        app_core::CONNECT_TIMEOUT.as_secs() / 60
                    ));
                })
                .await?;
            printer.print(&summary, || format!("connected {}", summary.name));
            Ok(0)
        }
        CompanyCommand::List => {
            let companies = core.list_companies().await?;
            printer.print(&companies, || {
                if companies.is_empty() {
                    return "no companies yet: add one with `ledgerlink company add demo`"
                        .to_owned();
                }
                companies
                    .iter()
                    .map(describe_company)
                    .collect::<Vec<_>>()
                    .join("\n")
            });
            Ok(0)
        }
        CompanyCommand::Disconnect { company } => {
            let id = resolve_company(core, &company).await?;
            let summary = core.disconnect_company(&id).await?;
            printer.print(&summary, || format!("disconnected {}", summary.name));
            Ok(0)
        }
        CompanyCommand::Remove { company } => {
            let id = resolve_company(core, &company).await?;
            core.remove_company(&id).await?;
            printer.print(&json!({ "removed": id }), || format!("removed {id}"));
            Ok(0)
        }
    }
}

async fn records(core: &AppCore, printer: &Printer, command: RecordsCommand) -> CoreResult<u8> {
    match command {
        RecordsCommand::List {
            company,
            entity_type,
            search,
            offset,
            limit,
        } => {
            let id = resolve_company(core, &company).await?;
            let page = core
                .list_records(
                    &id,
                    RecordQuery {
                        entity_type,
                        states: Vec::new(),
                        search,
                        date_from: None,
                        date_to: None,
                        open_only: None,
                        sort: local_sort_default(),
                        descending: true,
                        offset,
                        limit,
                    },
                )
                .await?;
            printer.print(&page, || {
                let mut lines: Vec<String> = page
                    .rows
                    .iter()
                    .map(|row| {
                        format!(
                            "{}  {:<13} {:<8} {:<10} {:>12}  {}",
                            row.local_id,
                            row.entity_type,
                            row.state.as_str(),
                            row.doc_number.as_deref().unwrap_or(""),
                            row.amount.as_deref().unwrap_or(""),
                            row.name
                                .as_deref()
                                .or(row.counterparty.as_deref())
                                .unwrap_or("")
                        )
                    })
                    .collect();
                lines.push(format!("{} of {} records", page.rows.len(), page.total));
                lines.join("\n")
            });
            Ok(0)
        }
        RecordsCommand::Show { company, local_id } => {
            let id = resolve_company(core, &company).await?;
            let detail = core.get_record(&id, &local_id).await?;
            printer.print(&detail, || {
                serde_json::to_string_pretty(&detail.local).unwrap_or_default()
            });
            Ok(0)
        }
        RecordsCommand::Create {
            company,
            entity_type,
            file,
        } => {
            let id = resolve_company(core, &company).await?;
            let object = read_json(&file)?;
            let outcome = core.save_record(&id, None, &entity_type, object).await?;
            print_save(printer, &outcome, "created");
            Ok(0)
        }
        RecordsCommand::Edit {
            company,
            local_id,
            file,
            replace,
        } => {
            let id = resolve_company(core, &company).await?;
            let object = read_json(&file)?;
            let outcome = if replace {
                let detail = core.get_record(&id, &local_id).await?;
                core.save_record(&id, Some(&local_id), &detail.row.entity_type, object)
                    .await?
            } else {
                core.patch_record(&id, &local_id, object).await?
            };
            print_save(printer, &outcome, "saved");
            Ok(0)
        }
        RecordsCommand::Delete { company, local_id } => {
            let id = resolve_company(core, &company).await?;
            let outcome = core.delete_record(&id, &local_id).await?;
            print_save(printer, &outcome, "deleted");
            Ok(0)
        }
        RecordsCommand::Void { company, local_id } => {
            let id = resolve_company(core, &company).await?;
            let outcome = core.void_record(&id, &local_id).await?;
            print_save(printer, &outcome, "voided");
            Ok(0)
        }
        RecordsCommand::Count {
            company,
            local_id,
            on_hand,
            location,
            minimum,
        } => {
            let id = resolve_company(core, &company).await?;
            let product = core
                .set_stock(
                    &id,
                    app_core::StockInput {
                        local_id,
                        location_id: location.clone(),
                        on_hand,
                        minimum,
                    },
                )
                .await?;
            printer.print(&product, || {
                format!("{}: counted at {location}", product.name)
            });
            Ok(0)
        }
    }
}

async fn conflicts(core: &AppCore, printer: &Printer, command: ConflictsCommand) -> CoreResult<u8> {
    match command {
        ConflictsCommand::List { company } => {
            let id = resolve_company(core, &company).await?;
            let conflicts = core.list_conflicts(&id).await?;
            printer.print(&conflicts, || {
                if conflicts.is_empty() {
                    return "no open conflicts".to_owned();
                }
                conflicts
                    .iter()
                    .map(|conflict| {
                        format!(
                            "{:>5}  {:<25} {} field(s)  {}",
                            conflict.id,
                            conflict.kind.as_str(),
                            conflict.field_count,
                            conflict.label
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            });
            Ok(0)
        }
        ConflictsCommand::Show {
            company,
            conflict_id,
        } => {
            let id = resolve_company(core, &company).await?;
            let detail = core.get_conflict(&id, conflict_id).await?;
            printer.print(&detail, || {
                let mut lines = vec![format!(
                    "{} ({})",
                    detail.summary.label,
                    detail.summary.kind.as_str()
                )];
                for field in &detail.fields {
                    lines.push(format!(
                        "{}\n  base:       {}\n  local:      {}\n  QuickBooks: {}",
                        field.path,
                        show(field.base.as_ref()),
                        show(field.local.as_ref()),
                        show(field.remote.as_ref())
                    ));
                }
                lines.join("\n")
            });
            Ok(0)
        }
        ConflictsCommand::Resolve {
            company,
            conflict_id,
            take,
            choices,
        } => {
            let id = resolve_company(core, &company).await?;
            let resolution = match (take, choices) {
                (Some(Side::Local), None) => ResolutionInput::TakeLocal,
                (Some(Side::Remote), None) => ResolutionInput::TakeRemote,
                (Some(Side::KeepLocalVersion), None) => ResolutionInput::KeepLocalVersion,
                (Some(Side::AcceptDelete), None) => ResolutionInput::AcceptDelete,
                (None, Some(file)) => ResolutionInput::Fields {
                    choices: parse_choices(read_json(&file)?)?,
                },
                _ => {
                    return Err(CoreError::Invalid(
                        "Say how to resolve: --take local|remote|keep-local-version|accept-delete, or --choices FILE.".to_owned(),
                    ));
                }
            };
            let detail = core.resolve_conflict(&id, conflict_id, resolution).await?;
            printer.print(&detail, || {
                format!(
                    "resolved; {} is pushed on the next sync",
                    detail.row.local_id
                )
            });
            Ok(0)
        }
    }
}

/// Reads per-field choices: `{"path": "local" | "remote" | {"value": …}}`.
fn parse_choices(document: Value) -> CoreResult<std::collections::BTreeMap<String, ChoiceInput>> {
    let Value::Object(members) = document else {
        return Err(CoreError::Invalid(
            "The choices must be a JSON object mapping field paths to \"local\", \"remote\" or {\"value\": …}.".to_owned(),
        ));
    };
    let mut choices = std::collections::BTreeMap::new();
    for (path, choice) in members {
        let parsed = match &choice {
            Value::String(side) if side == "local" => ChoiceInput::Local,
            Value::String(side) if side == "remote" => ChoiceInput::Remote,
            Value::Object(object) if object.contains_key("value") => ChoiceInput::Value {
                value: object.get("value").cloned().unwrap_or(Value::Null),
            },
            _ => {
                return Err(CoreError::Invalid(format!(
                    "The choice for {path} must be \"local\", \"remote\" or {{\"value\": …}}."
                )));
            }
        };
        choices.insert(path, parsed);
    }
    Ok(choices)
}

fn print_save(printer: &Printer, outcome: &app_core::SaveOutcome, verb: &str) {
    printer.print(outcome, || {
        let mut lines = vec![format!(
            "{verb} {} ({}); it reaches QuickBooks on the next sync",
            outcome.record.row.local_id, outcome.record.row.entity_type
        )];
        for issue in &outcome.issues {
            lines.push(format!("  {}: {}", issue.field, issue.message));
        }
        lines.join("\n")
    });
}

fn local_sort_default() -> app_core::RecordSort {
    app_core::RecordSort::Updated
}

fn show(value: Option<&Value>) -> String {
    value.map_or_else(|| "(absent)".to_owned(), ToString::to_string)
}

fn describe_company(summary: &app_core::CompanySummary) -> String {
    let state = if summary.syncing {
        "syncing".to_owned()
    } else {
        summary.connection.as_str().replace('_', " ")
    };
    format!(
        "{}  {:<30} {:<16} last sync {}  conflicts {}  pending {}{}",
        summary.id,
        summary.name,
        state,
        summary.last_sync_at.as_deref().unwrap_or("never"),
        summary.open_conflicts,
        summary.pending_changes,
        summary
            .last_sync_error
            .as_deref()
            .map(|error| format!("\n    {error}"))
            .unwrap_or_default()
    )
}

/// Finds a company by id, or by a case-insensitive start of its name that
/// only one company has.
async fn resolve_company(core: &AppCore, wanted: &str) -> CoreResult<String> {
    let companies = core.list_companies().await?;
    if let Some(company) = companies.iter().find(|company| company.id == wanted) {
        return Ok(company.id.clone());
    }
    let lowered = wanted.to_lowercase();
    let matches: Vec<_> = companies
        .iter()
        .filter(|company| company.name.to_lowercase().starts_with(&lowered))
        .collect();
    match matches.as_slice() {
        [one] => Ok(one.id.clone()),
        [] => Err(CoreError::Invalid(format!(
            "No company is called \"{wanted}\"; `ledgerlink company list` shows them."
        ))),
        _ => Err(CoreError::Invalid(format!(
            "More than one company starts with \"{wanted}\"; use its id from `ledgerlink company list`."
        ))),
    }
}

fn read_json(file: &str) -> CoreResult<Value> {
    let mut text = String::new();
    if file == "-" {
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|source| CoreError::Io {
                what: "Reading JSON from stdin".to_owned(),
                source,
            })?;
    } else {
        text = std::fs::read_to_string(file).map_err(|source| CoreError::Io {
            what: format!("Reading {file}"),
            source,
        })?;
    }
    serde_json::from_str(&text)
        .map_err(|error| CoreError::Invalid(format!("The JSON in {file} cannot be read: {error}.")))
}

fn default_data_dir() -> CoreResult<PathBuf> {
    let home = std::env::var_os("HOME")
        .or_else(|| std::env::var_os("APPDATA"))
        .map(PathBuf::from)
        .ok_or_else(|| {
            CoreError::Invalid("No home folder is known; pass --data-dir.".to_owned())
        })?;
    let dir = if cfg!(target_os = "macos") {
        home.join("Library/Application Support/app.ledgerlink.desktop")
    } else if cfg!(windows) {
        home.join("app.ledgerlink.desktop")
    } else {
        std::env::var_os("XDG_DATA_HOME")
            .map(PathBuf::from)
            .unwrap_or_else(|| home.join(".local/share"))
            .join("app.ledgerlink.desktop")
    };
    Ok(dir)
}

/// Prints text or JSON.
struct Printer {
    json: bool,
}

impl Printer {
    fn print<T: Serialize>(&self, value: &T, text: impl FnOnce() -> String) {
        if self.json {
            match serde_json::to_string_pretty(value) {
                Ok(document) => println_out(&document),
                Err(error) => eprintln_err(&format!(
                    "ledgerlink: the output cannot be written as JSON: {error}"
                )),
            }
        } else {
            println_out(&text());
        }
    }
}

fn println_out(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{text}");
}

/// The client secret from the environment variable named `variable`.
fn client_secret(variable: &str) -> CoreResult<String> {
    std::env::var(variable).map_err(|_| {
        CoreError::Invalid(format!(
            "Put your app's client secret in the environment variable {variable} (or name another with --client-secret-env)."
        ))
    })
}

fn eprintln_err(text: &str) {
    let mut stderr = std::io::stderr().lock();
    let _ = writeln!(stderr, "{text}");
}
