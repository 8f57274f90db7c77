//! `simo-backend`: the server and the operator's command line.

use clap::{Parser, Subcommand};
use simo_backend::cabinet::{CabinetConfig, audit};
use simo_backend::config::{Settings, help_text};
use simo_backend::service::accounts;
use simo_backend::service::partners::{self, PartnerInput};
use simo_backend::startup::{Application, shutdown_signal};
use simo_backend::store::Store;
use simo_backend::{api, demo, telemetry};
use std::io::BufRead;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "simo-backend", version, about = "SiMO: corporate mobile notifications — server and operator CLI", after_long_help = help_text())]
struct Cli {
    /// TOML file with settings (keys as below, lowercase without SIMO_).
    #[arg(long, global = true, env = "SIMO_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP server (API v1, docs, health checks).
    Serve {
        /// Create a demo partner and employee and print their credentials.
        #[arg(long)]
        demo: bool,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Manage partners (companies).
    #[command(subcommand)]
    Partner(PartnerCommand),
    /// Manage the service operator's accounts for the web area at /operator.
    #[command(subcommand)]
    Operator(OperatorCommand),
    /// The key sealing secrets at rest (login codes' keys, webhooks' secrets).
    #[command(subcommand)]
    SecretKey(SecretKeyCommand),
    /// Write the OpenAPI spec of API v1.
    Openapi {
        /// Where to write it.
        #[arg(long, default_value = "openapi/simo-v1.json")]
        out: PathBuf,
    },
}

#[derive(Subcommand)]
enum SecretKeyCommand {
    /// Print a new random key (64 hex digits) for SIMO_SECRET_KEY.
    New,
    /// How the stored secrets are sealed, as JSON: with the current key, with an earlier one
    /// (SIMO_SECRET_KEY_PREVIOUS still needed), unsealed, or with no key the server has.
    Status,
    /// A new key for a SQLite server's key file, every secret sealed with it, the old key gone.
    /// Stop the server first. With SIMO_SECRET_KEY set, rotate that instead: the new key in
    /// SIMO_SECRET_KEY, the old in SIMO_SECRET_KEY_PREVIOUS, and restart.
    Rotate,
}

#[derive(Subcommand)]
enum PartnerCommand {
    /// Create a partner; prints JSON with its API token (shown only once).
    Create {
        #[arg(long)]
        inn: String,
        /// Short name, e.g. ООО «Весна».
        #[arg(long)]
        name: String,
        #[arg(long)]
        full_name: String,
        /// Cabinet password (at least 8 characters); read from stdin when omitted.
        #[arg(long)]
        password: Option<String>,
        /// New employees wait for the admin's approval before receiving messages.
        #[arg(long)]
        approval_required: bool,
    },
    /// List partners as JSON.
    List,
    /// A partner's live API keys as JSON (never a token: its first characters): name ('' for
    /// the main key), access, addresses, when issued, last used and, in a grace period, until.
    Keys {
        #[arg(long)]
        inn: String,
    },
    /// Issue a new token of the partner's main API key; the old one stays valid for
    /// --grace-secs. The keys the company added in its cabinet stay as they are.
    RotateToken {
        #[arg(long)]
        inn: String,
        #[arg(long, default_value_t = 0)]
        grace_secs: i64,
    },
    /// Set a partner's cabinet password.
    SetPassword {
        #[arg(long)]
        inn: String,
        /// Read from stdin when omitted.
        #[arg(long)]
        password: Option<String>,
    },
    /// Delete a partner with everything the server holds of it: employees, messages, journal,
    /// groups, templates, sends, webhook, tokens. For good.
    Erase {
        #[arg(long)]
        inn: String,
        /// Required: the deletion cannot be undone.
        #[arg(long)]
        yes: bool,
    },
    /// Give a partner a limit of API calls a second of its own (0: none), or `default` for the
    /// server's SIMO_PARTNER_RATE.
    SetRate {
        #[arg(long)]
        inn: String,
        #[arg(long)]
        rate: String,
    },
    /// Give a partner a limit of SMS of unread messages a month of its own (0: none), or
    /// `default` for the server's SIMO_SMS_FALLBACK_MONTHLY_LIMIT.
    SetSmsLimit {
        #[arg(long)]
        inn: String,
        #[arg(long)]
        limit: String,
    },
    /// Give a partner a room for files of its own, in megabytes (0: no limit), or `default`
    /// for the server's SIMO_FILE_QUOTA_BYTES.
    SetFileRoom {
        #[arg(long)]
        inn: String,
        #[arg(long)]
        mb: String,
    },
}

#[derive(Subcommand)]
enum OperatorCommand {
    /// Create an operator account.
    Create {
        #[arg(long)]
        login: String,
        /// At least 8 characters; read from stdin when omitted.
        #[arg(long)]
        password: Option<String>,
    },
    /// Set an operator's password (their sessions end).
    SetPassword {
        #[arg(long)]
        login: String,
        /// Read from stdin when omitted.
        #[arg(long)]
        password: Option<String>,
    },
}

fn password_or_stdin(p: Option<String>) -> simo_backend::error::Result<String> {
    match p {
        Some(p) => Ok(p),
        None => {
            let mut line = String::new();
            std::io::stdin().lock().read_line(&mut line)?;
            Ok(line.trim_end_matches(['\r', '\n']).to_owned())
        }
    }
}

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    telemetry::init();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn store(settings: &Settings) -> simo_backend::error::Result<Store> {
    let store = Store::connect(&settings.database_url, settings.database_max_connections).await?;
    store.migrate().await?;
    Ok(store)
}

async fn run(cli: Cli) -> simo_backend::error::Result<()> {
    if let Command::SecretKey(SecretKeyCommand::New) = &cli.command {
        println!("{}", simo_backend::store::Sealer::new_key_hex());
        return Ok(());
    }
    if let Command::Openapi { out } = &cli.command {
        if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(out, api::v1_spec_json())?;
        println!("wrote {}", out.display());
        return Ok(());
    }
    let settings = Settings::load(cli.config.as_deref())?;
    match cli.command {
        Command::Serve { demo: with_demo } => {
            let app = Application::build(settings.clone()).await?;
            let stop = shutdown_signal()?;
            if with_demo {
                let d = demo::ensure(&app.state().store).await?;
                let base = format!("http://127.0.0.1:{}", app.port());
                println!(
                    "\nДемо-партнёр / demo partner:\n  ИНН (login): {}\n  пароль:      {}\n  API token:   {}\n  сотрудник:   staffid {}\n\nПопробуйте / try:\n  curl -s {base}/api/v1/createmessage -H 'Authorization: {}' \\\n    -d '{{\"inn\":\"{}\",\"staffid\":\"{}\",\"title\":\"Планерка\",\"message\":\"В 10:00 в переговорной\"}}'\n  API docs: {base}/api/docs\n  Кабинет / cabinet: {base}/cabinet (ИНН + пароль выше)\n",
                    d.inn, d.password, d.token, d.staff_id, d.token, d.inn, d.staff_id
                );
            }
            app.run_until(stop).await
        }
        Command::Migrate => {
            store(&settings).await?;
            println!("migrations applied");
            Ok(())
        }
        Command::Partner(cmd) => partner_command(&store(&settings).await?, &settings, cmd).await,
        Command::Operator(cmd) => operator_command(&store(&settings).await?, cmd).await,
        Command::SecretKey(cmd) => {
            secret_key_command(&store(&settings).await?, &settings, cmd).await
        }
        Command::Openapi { .. } => unreachable!("handled above"),
    }
}

async fn secret_key_command(
    store: &Store,
    settings: &Settings,
    cmd: SecretKeyCommand,
) -> simo_backend::error::Result<()> {
    let configured = settings.secret_key.as_deref();
    match cmd {
        SecretKeyCommand::Status => {
            store.load_secret_keys(configured, settings.secret_key_previous.as_deref())?;
            let census = store.secret_census().await?;
            println!(
                "{}",
                serde_json::json!({ "sealing": store.seals_secrets(), "secrets": census })
            );
        }
        SecretKeyCommand::Rotate => {
            let rotation = store.rotate_key_file(configured).await?;
            audit::record_cli_for_operator(
                store,
                None,
                audit::Action::SecretKeyRotated,
                &audit::resealed(rotation.resealed),
            )
            .await;
            println!("{}", serde_json::json!(rotation));
        }
        SecretKeyCommand::New => unreachable!("handled before the database is opened"),
    }
    Ok(())
}

/// Each change is in the partner's journal and the operator's, by "the server's command line",
/// as the operator's changes from the operator area are.
async fn partner_command(
    store: &Store,
    settings: &Settings,
    cmd: PartnerCommand,
) -> simo_backend::error::Result<()> {
    match cmd {
        PartnerCommand::Create {
            inn,
            name,
            full_name,
            password,
            approval_required,
        } => {
            let password = password_or_stdin(password)?;
            let (p, token) = partners::create(
                store,
                PartnerInput {
                    inn: &inn,
                    short_name: &name,
                    full_name: &full_name,
                    password: &password,
                    approval_required,
                },
            )
            .await?;
            audit::record_cli(store, &p, audit::Action::PartnerCreated, "").await;
            println!(
                "{}",
                serde_json::json!({ "id": p.id, "inn": p.inn, "name": p.short_name, "full_name": p.full_name, "token": token.expose() })
            );
        }
        PartnerCommand::List => {
            let rows: Vec<_> = store
                .list_partners()
                .await?
                .into_iter()
                .map(|p| serde_json::json!({ "id": p.id, "inn": p.inn, "name": p.short_name, "full_name": p.full_name, "disabled": p.disabled, "api_rate": p.api_rate, "sms_limit": p.sms_limit, "file_room_mb": p.file_room_mb }))
                .collect();
            println!("{}", serde_json::Value::Array(rows));
        }
        PartnerCommand::Keys { inn } => {
            let p = partners::by_inn(store, &inn).await?;
            let now = simo_backend::domain::now_millis();
            let rows: Vec<_> = store
                .api_keys(p.id, now)
                .await?
                .into_iter()
                .map(|k| {
                    serde_json::json!({
                        "name": k.name,
                        "prefix": k.prefix,
                        "access": k.access().as_str(),
                        "addresses": k.allowed_ips,
                        "created_at": k.created_at,
                        "last_used_at": k.last_used_at,
                        "expires_at": k.expires_at,
                        "valid_until": k.valid_until,
                    })
                })
                .collect();
            println!("{}", serde_json::Value::Array(rows));
        }
        PartnerCommand::RotateToken { inn, grace_secs } => {
            let p = partners::by_inn(store, &inn).await?;
            // Read before the rotation: a failure after it would lose the new token.
            let cfg = CabinetConfig::from_settings(settings)?;
            let token =
                simo_backend::service::api_keys::rotate_main(store, p.id, grace_secs).await?;
            let (action, until) = if grace_secs > 0 {
                let until = simo_backend::domain::now_millis() + grace_secs * 1000;
                (audit::Action::TokenRotatedGrace, cfg.datetime(until))
            } else {
                (audit::Action::TokenRotated, String::new())
            };
            audit::record_cli(store, &p, action, &until).await;
            println!(
                "{}",
                serde_json::json!({ "inn": p.inn, "token": token.expose(), "old_token_valid_secs": grace_secs })
            );
        }
        PartnerCommand::SetPassword { inn, password } => {
            let p = partners::by_inn(store, &inn).await?;
            let removed =
                partners::reset_password(store, p.id, &password_or_stdin(password)?).await?;
            let detail = audit::second_factor_removed(removed);
            audit::record_cli(store, &p, audit::Action::PasswordReset, &detail).await;
            println!(
                "{}",
                serde_json::json!({ "inn": p.inn, "password": "updated" })
            );
        }
        PartnerCommand::Erase { inn, yes } => {
            let p = partners::by_inn(store, &inn).await?;
            if !yes {
                return Err(simo_backend::error::Error::Invalid(
                    simo_backend::phrase::Phrase::new(
                        "Удаление необратимо: повторите команду с --yes",
                        "The deletion cannot be undone: run the command again with --yes",
                    ),
                ));
            }
            // Typed with its INN and --yes: the command line closes the company's access itself.
            store.set_partner_disabled(p.id, true).await?;
            let p = simo_backend::store::PartnerRow {
                disabled: true,
                ..p
            };
            let erased = partners::erase(store, &p).await?;
            audit::record_cli_for_operator(
                store,
                Some(&p),
                audit::Action::PartnerErased,
                &audit::erased(&erased),
            )
            .await;
            println!(
                "{}",
                serde_json::json!({ "inn": p.inn, "erased": true, "messages": erased.messages, "staff": erased.staff })
            );
        }
        PartnerCommand::SetRate { inn, rate } => {
            let p = partners::by_inn(store, &inn).await?;
            let rate = simo_backend::service::throttle::parse_rate(&rate)
                .map_err(simo_backend::error::Error::Invalid)?;
            store.set_partner_rate(p.id, rate).await?;
            let detail = simo_backend::service::throttle::own_limit_change(p.api_rate, rate);
            audit::record_cli(store, &p, audit::Action::PartnerRateSet, &detail).await;
            println!("{}", serde_json::json!({ "inn": p.inn, "api_rate": rate }));
        }
        PartnerCommand::SetSmsLimit { inn, limit } => {
            let p = partners::by_inn(store, &inn).await?;
            let limit = simo_backend::service::sms_fallback::parse_limit(&limit)
                .map_err(simo_backend::error::Error::Invalid)?;
            store.set_partner_sms_limit(p.id, limit).await?;
            let detail = simo_backend::service::throttle::own_limit_change(p.sms_limit, limit);
            audit::record_cli(store, &p, audit::Action::PartnerSmsLimitSet, &detail).await;
            println!(
                "{}",
                serde_json::json!({ "inn": p.inn, "sms_limit": limit })
            );
        }
        PartnerCommand::SetFileRoom { inn, mb } => {
            let p = partners::by_inn(store, &inn).await?;
            let mb = simo_backend::service::files::parse_room(&mb)
                .map_err(simo_backend::error::Error::Invalid)?;
            store.set_partner_file_room(p.id, mb).await?;
            let detail = simo_backend::service::throttle::own_limit_change(p.file_room_mb, mb);
            audit::record_cli(store, &p, audit::Action::PartnerFileRoomSet, &detail).await;
            println!(
                "{}",
                serde_json::json!({ "inn": p.inn, "file_room_mb": mb })
            );
        }
    }
    Ok(())
}

async fn operator_command(store: &Store, cmd: OperatorCommand) -> simo_backend::error::Result<()> {
    match cmd {
        OperatorCommand::Create { login, password } => {
            let password = password_or_stdin(password)?;
            let op = accounts::create_operator(store, &login, &password).await?;
            audit::record_cli_for_operator(store, None, audit::Action::OperatorCreated, &op.login)
                .await;
            println!(
                "{}",
                serde_json::json!({ "id": op.id, "login": op.login, "url": "/operator" })
            );
        }
        OperatorCommand::SetPassword { login, password } => {
            let password = password_or_stdin(password)?;
            let removed = accounts::set_operator_password(store, &login, &password).await?;
            let detail = match removed {
                true => format!("{login}; {}", audit::second_factor_removed(true)),
                false => login.clone(),
            };
            audit::record_cli_for_operator(
                store,
                None,
                audit::Action::OperatorPasswordSet,
                &detail,
            )
            .await;
            println!(
                "{}",
                serde_json::json!({ "login": login, "password": "updated" })
            );
        }
    }
    Ok(())
}
