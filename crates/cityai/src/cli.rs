//! Command-line arguments and configuration.
//!
//! Every global option has an environment variable so that services can be configured
//! without arguments; the option wins when both are given.

use chrono::FixedOffset;
use std::path::PathBuf;

use cityai_core::{Channel, Lang, Role};
use clap::{Args, Parser, Subcommand, ValueEnum};

/// CityAI: request routing, knowledge search and AI governance for city government.
#[derive(Debug, Parser)]
#[command(name = "cityai", version, about, long_about = None)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalOptions,

    #[command(subcommand)]
    pub command: Command,
}

/// Options shared by every subcommand; they may come before or after it.
#[derive(Debug, Clone, Args)]
pub struct GlobalOptions {
    /// Directory for the database and other files CityAI writes.
    #[arg(
        long,
        env = "CITYAI_DATA_DIR",
        default_value = "./cityai-data",
        global = true
    )]
    pub data_dir: PathBuf,

    /// Database URL; defaults to the SQLite file cityai.db in the data directory.
    #[arg(long, env = "CITYAI_DATABASE_URL", global = true)]
    pub database_url: Option<String>,

    /// Address and port the server listens on, such as 127.0.0.1:8080 or localhost:8080.
    #[arg(
        long,
        env = "CITYAI_LISTEN",
        default_value = "127.0.0.1:8080",
        global = true
    )]
    pub listen: String,

    /// Language of messages and the default console language: zh-CN or en.
    #[arg(long, env = "CITYAI_LANG", default_value = "zh-CN", value_parser = parse_lang, global = true)]
    pub lang: Lang,

    /// The city's UTC offset: times in imported files that carry no zone are local times at
    /// this offset, and the console shows times at it.
    #[arg(long, env = "CITYAI_UTC_OFFSET", default_value = "+08:00", value_parser = parse_offset, allow_hyphen_values = true, global = true)]
    pub utc_offset: FixedOffset,

    /// Base URL of an OpenAI-compatible LLM endpoint inside the city network, such as
    /// http://10.0.0.5:8000/v1. Without it, answers are extractive only.
    #[arg(long, env = "CITYAI_LLM_BASE_URL", global = true)]
    pub llm_base_url: Option<String>,

    /// Model name to request from the LLM endpoint.
    #[arg(long, env = "CITYAI_LLM_MODEL", global = true)]
    pub llm_model: Option<String>,

    /// API key for the LLM endpoint; prefer the environment variable, which stays out of
    /// the process list.
    #[arg(
        long,
        env = "CITYAI_LLM_API_KEY",
        hide_env_values = true,
        global = true
    )]
    pub llm_api_key: Option<String>,

    /// Log line format on standard error.
    #[arg(long, env = "CITYAI_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,
}

impl GlobalOptions {
    /// Returns the database URL, defaulting to `cityai.db` in the data directory.
    pub fn database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| cityai_store::sqlite_url_in(&self.data_dir))
    }
}

fn parse_lang(value: &str) -> Result<Lang, String> {
    value.parse()
}

fn parse_offset(value: &str) -> Result<FixedOffset, String> {
    cityai_core::time::parse_utc_offset(value)
        .ok_or_else(|| format!("invalid UTC offset {value:?}: write it as +08:00, -05:00 or Z"))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the web console and API server.
    Serve(ServeArgs),
    /// Load requests, a category taxonomy or knowledge sources from a file.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Train a model from the labelled history in the store.
    #[command(subcommand)]
    Train(TrainCommand),
    /// Route one text with the active routing model.
    Route(RouteArgs),
    /// Evaluate a model on a labelled file without importing it.
    #[command(subcommand)]
    Eval(EvalCommand),
    /// Manage user accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage API keys for machine clients.
    #[command(subcommand)]
    Apikey(ApiKeyCommand),
    /// Check and read the audit trail.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Find personal data in text.
    #[command(subcommand)]
    Pii(PiiCommand),
    /// Answer a question from the knowledge base, with the passages it comes from.
    Ask(AskArgs),
    /// Rank hot spots: groups of requests about one problem at one place.
    Hotspots(HotspotsArgs),
    /// Copy a whole database into a new, empty one, such as a single node's SQLite file into
    /// PostgreSQL; stop every process that writes the source first.
    Migrate(MigrateArgs),
}

#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// URL of the database to copy, such as sqlite:///srv/cityai/cityai.db. It is upgraded
    /// to this build's schema first, and read only after that.
    #[arg(long, value_name = "URL")]
    pub from: String,

    /// URL of the empty database to fill, such as postgres://cityai@db.internal/cityai.
    #[arg(long, value_name = "URL")]
    pub to: String,

    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct HotspotsArgs {
    /// First day of the window (YYYY-MM-DD, in the city's time zone).
    #[arg(long, value_parser = parse_day)]
    pub from: Option<chrono::NaiveDate>,

    /// Last day of the window, included.
    #[arg(long, value_parser = parse_day)]
    pub to: Option<chrono::NaiveDate>,

    /// How many hot spots to show.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..=500))]
    pub top: u16,

    /// Write the ranked table and the member requests to a .csv or .xlsx file. A CSV export
    /// writes the members to a second file named like the first with `-members` added.
    #[arg(long, value_name = "FILE")]
    pub export: Option<PathBuf>,

    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

fn parse_day(value: &str) -> Result<chrono::NaiveDate, String> {
    chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .map_err(|_| format!("invalid date {value:?}: write it as 2019-01-31"))
}

#[derive(Debug, Args)]
pub struct AskArgs {
    /// The question.
    pub question: String,

    /// Only sources of this kind: faq, policy, reply or document. Repeat for several.
    #[arg(long = "kind", value_parser = parse_source_kind)]
    pub kinds: Vec<cityai_knowledge::SourceKind>,

    /// Only sources owned by this department (exact name).
    #[arg(long)]
    pub department: Option<String>,

    /// Only sources in force today: repealed and expired policies are left out.
    #[arg(long)]
    pub valid_only: bool,

    /// How many passages to show.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u16).range(1..=50))]
    pub limit: u16,

    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

fn parse_source_kind(value: &str) -> Result<cityai_knowledge::SourceKind, String> {
    value
        .parse()
        .map_err(|err: cityai_knowledge::KnowledgeError| err.to_string())
}

fn parse_classification(value: &str) -> Result<cityai_knowledge::Classification, String> {
    value
        .parse()
        .map_err(|err: cityai_knowledge::KnowledgeError| err.to_string())
}

#[derive(Debug, Args)]
pub struct ImportKnowledgeArgs {
    /// A CSV file with one source per row, or a .txt, .md, .html, .docx or .pdf document.
    pub file: PathBuf,

    /// CSV: the column with each source's id.
    #[arg(long)]
    pub id_column: Option<String>,

    /// CSV: the column with each source's text.
    #[arg(long)]
    pub text_column: Option<String>,

    /// CSV: the column with each source's title (for FAQs, the question).
    #[arg(long)]
    pub title_column: Option<String>,

    /// CSV: the column with the owning department.
    #[arg(long)]
    pub department_column: Option<String>,

    /// CSV: the column with the validity status (效力状态), such as 现行有效 or 已废止.
    #[arg(long)]
    pub status_column: Option<String>,

    /// CSV: the column with the first day in force (YYYY-MM-DD).
    #[arg(long)]
    pub valid_from_column: Option<String>,

    /// CSV: the column with the last day in force (YYYY-MM-DD).
    #[arg(long)]
    pub valid_until_column: Option<String>,

    /// What the sources are: faq, policy, reply or document.
    #[arg(long, value_parser = parse_source_kind, default_value = "document")]
    pub kind: cityai_knowledge::SourceKind,

    /// The department that owns every source in the file, unless a column says otherwise.
    #[arg(long)]
    pub department: Option<String>,

    /// Data classification of the file: general, important or core (一般, 重要, 核心).
    /// Only general sources are shown to citizens or sent to an LLM.
    #[arg(long, value_parser = parse_classification, default_value = "general")]
    pub classification: cityai_knowledge::Classification,

    /// Title of a single document; defaults to its first heading or file name.
    #[arg(long)]
    pub title: Option<String>,

    /// Print one JSON summary object instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct EvalKnowledgeArgs {
    /// A CSV file with the columns query and expected_id.
    #[arg(long)]
    pub queries: PathBuf,

    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum PiiCommand {
    /// Report the personal data in a text or a UTF-8 file, with byte spans, and print the
    /// masked text. The values found are never printed.
    Scan {
        /// The text to scan, or the path of a file to scan.
        input: String,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user. Without --password-stdin a random password is generated and shown once.
    Add {
        /// The user name used to sign in.
        username: String,
        /// citizen, operator, handler, reviewer, admin, auditor or ai_office.
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// The department code a handler works for; only handlers take one.
        #[arg(long)]
        department: Option<String>,
        /// Read the password from the first line of standard input instead of generating one.
        #[arg(long)]
        password_stdin: bool,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Set a new password and end the user's sessions.
    Passwd {
        username: String,
        /// Read the password from the first line of standard input instead of generating one.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Disable a user: ends the user's sessions and revokes the user's API keys.
    Disable { username: String },
    /// Enable a disabled user again.
    Enable { username: String },
    /// List users.
    List {
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum ApiKeyCommand {
    /// Create an API key for a user; the key is shown once.
    Create {
        /// The user the key acts as; the key has that user's role.
        #[arg(long = "user")]
        username: String,
        /// What the key is for, such as the name of the client system.
        #[arg(long, default_value = "")]
        label: String,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Revoke an API key by its prefix (the part after cai_ and before the next _).
    Revoke { prefix: String },
    /// List API keys without their secrets.
    List {
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Recompute the hash chain and report the first broken link (exit code 5 when broken).
    Verify {
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Print the newest audit events.
    Log {
        /// How many events to print.
        #[arg(long, default_value_t = 50)]
        limit: i64,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
}

fn parse_role(value: &str) -> Result<Role, String> {
    value.parse()
}

#[derive(Debug, Subcommand)]
pub enum TrainCommand {
    /// Train the request router on every request with a category, and make it active.
    Routing(TrainRoutingArgs),
}

#[derive(Debug, Args)]
pub struct TrainRoutingArgs {
    /// Print one JSON report instead of text.
    #[arg(long)]
    pub json: bool,

    /// SVM inverse regularisation strength; larger fits the training data more closely.
    #[arg(long, default_value_t = 1.0)]
    pub c: f32,

    /// Cross-validation folds used to calibrate probabilities and the auto-assign threshold.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u16).range(2..=20))]
    pub folds: u16,

    /// Precision that automatically assigned requests must reach, from 0.5 to 1.
    #[arg(long, default_value_t = 0.97)]
    pub target_precision: f64,
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct RouteArgs {
    #[command(subcommand)]
    pub action: Option<RouteAction>,

    /// The request text (title and body together) to route without storing it.
    #[arg(required = true)]
    pub text: Option<String>,

    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum RouteAction {
    /// Route every stored request that has no category yet.
    Pending {
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Confirm a request's current category; it becomes training data.
    Confirm {
        /// The request id.
        id: i64,
        /// The staff id or name of the person who confirms, recorded with the feedback.
        #[arg(long = "by", value_name = "STAFF")]
        actor: String,
    },
    /// Correct a request's category; it becomes training data.
    Correct {
        /// The request id.
        id: i64,
        /// The right category path, such as 城乡建设 or 城乡建设/市政设施.
        #[arg(long)]
        category: String,
        /// The staff id or name of the person who corrects, recorded with the feedback.
        #[arg(long = "by", value_name = "STAFF")]
        actor: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum EvalCommand {
    /// Evaluate the active routing model.
    Routing(EvalRoutingArgs),
    /// Evaluate knowledge search on questions with known answers: recall@k and MRR.
    Knowledge(EvalKnowledgeArgs),
    /// Check the quality of official replies in a file: the score distribution of each
    /// dimension and, with --gold, the agreement with labels people gave.
    Replies(EvalRepliesArgs),
}

#[derive(Debug, Args)]
pub struct EvalRepliesArgs {
    /// A CSV or XLSX file of requests with their replies. The teddy2020 columns 留言编号,
    /// 留言主题, 留言详情, 留言时间, 答复意见 and 答复时间 are recognised, as are their English
    /// names (id, title, body, submitted_at, reply, replied_at).
    #[arg(long)]
    pub data: PathBuf,

    /// Match a column to a field, such as --map 办理结果=reply or --map 办结时间=replied_at.
    #[arg(long = "map", value_name = "COLUMN=FIELD")]
    pub mappings: Vec<String>,

    /// A CSV of labels people gave: an id column (留言编号 or id) matching the data's ids, a
    /// label column of good or poor, and an optional stratum column.
    #[arg(long)]
    pub gold: Option<PathBuf>,

    /// Also write one CSV line per checked reply to this file: its id, verdict, overall and
    /// dimension scores, and the verdict's reason.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,

    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct EvalRoutingArgs {
    /// A labelled request file (CSV or XLSX) with a category column.
    #[arg(long)]
    pub data: PathBuf,

    /// Match a column to a field, as in `import requests`.
    #[arg(long = "map", value_name = "COLUMN=FIELD")]
    pub mappings: Vec<String>,

    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Fill an empty database with the built-in demo data before serving.
    #[arg(long)]
    pub demo: bool,

    /// Mark cookies Secure, so browsers send them over HTTPS only. Set this when clients
    /// reach CityAI through a TLS proxy; a proxy that sends X-Forwarded-Proto: https gets
    /// Secure cookies without it.
    #[arg(long, env = "CITYAI_SECURE_COOKIES")]
    pub secure_cookies: bool,

    /// The jurisdiction_id the Open311 API answers to; calls that send another id get 404.
    #[arg(long, env = "CITYAI_OPEN311_JURISDICTION", default_value = cityai_server::OPEN311_DEFAULT_JURISDICTION)]
    pub open311_jurisdiction: String,
}

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Import citizen requests from a CSV (UTF-8, UTF-16 or GBK/GB18030) or XLSX file.
    Requests(ImportRequestsArgs),
    /// Import a category taxonomy (一级分类, 二级分类, 三级分类, optional 承办部门).
    Taxonomy(ImportTaxonomyArgs),
    /// Import knowledge sources: policies, FAQs, past replies or documents.
    Knowledge(ImportKnowledgeArgs),
}

#[derive(Debug, Args)]
pub struct ImportRequestsArgs {
    /// The file to import (.csv, .tsv, .txt or .xlsx).
    pub file: PathBuf,

    /// Match a column to a field, overriding the header names: COLUMN=FIELD. Fields:
    /// external_id, title, body, submitted_at, citizen_ref, place, latitude, longitude,
    /// category, category2, category3, support_votes, objection_votes, reply, replied_at,
    /// ignore. Repeat for several columns.
    #[arg(long = "map", value_name = "COLUMN=FIELD")]
    pub mappings: Vec<String>,

    /// Store nothing if any row is rejected.
    #[arg(long)]
    pub strict: bool,

    /// Print one JSON summary object instead of text.
    #[arg(long)]
    pub json: bool,

    /// Name of the system the file was exported from. External ids are unique within a
    /// source, so files from different systems never collide. Defaults to "import".
    #[arg(long, default_value = "import")]
    pub source: String,

    /// Channel recorded on the imported requests.
    #[arg(long, value_parser = parse_channel, default_value = "import")]
    pub channel: Channel,

    /// XLSX sheet to read; the first sheet by default.
    #[arg(long)]
    pub sheet: Option<String>,

    /// Largest accepted field in bytes; a row with a larger field is rejected.
    #[arg(long, default_value_t = cityai_import::ReadOptions::DEFAULT_MAX_FIELD_BYTES)]
    pub max_field_bytes: usize,
}

fn parse_channel(value: &str) -> Result<Channel, String> {
    value
        .parse()
        .map_err(|err: cityai_core::request::UnknownValue| err.to_string())
}

#[derive(Debug, Args)]
pub struct ImportTaxonomyArgs {
    /// The taxonomy file (.csv or .xlsx).
    pub file: PathBuf,

    /// Print one JSON summary object instead of text.
    #[arg(long)]
    pub json: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn global_options_come_before_the_subcommand() {
        let cli = Cli::try_parse_from([
            "cityai",
            "--data-dir",
            "D",
            "--lang",
            "en",
            "import",
            "requests",
            "f.csv",
        ])
        .unwrap();
        assert_eq!(cli.global.data_dir, PathBuf::from("D"));
        assert_eq!(cli.global.lang, Lang::En);
        assert!(matches!(
            cli.command,
            Command::Import(ImportCommand::Requests(_))
        ));
    }

    #[test]
    fn global_options_come_after_the_subcommand() {
        let cli = Cli::try_parse_from(["cityai", "serve", "--listen", "localhost:9000"]).unwrap();
        assert_eq!(cli.global.listen, "localhost:9000");
    }

    #[test]
    fn default_database_is_in_data_dir() {
        let cli = Cli::try_parse_from(["cityai", "--data-dir", "/srv/city", "serve"]).unwrap();
        assert_eq!(cli.global.database_url(), "sqlite:///srv/city/cityai.db");
    }

    #[test]
    fn invalid_lang_is_rejected() {
        let err = Cli::try_parse_from(["cityai", "--lang", "fr", "serve"]).unwrap_err();
        assert!(err.to_string().contains("zh-CN or en"), "{err}");
    }

    #[test]
    fn invalid_offset_names_the_value() {
        let err = Cli::try_parse_from(["cityai", "--utc-offset", "8", "serve"]).unwrap_err();
        assert!(err.to_string().contains("+08:00"), "{err}");
    }

    #[test]
    fn clap_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
