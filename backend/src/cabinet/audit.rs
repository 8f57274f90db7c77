//! Records what admins and the operator do to a partner's account for the cabinet's journal.

use crate::api::v1::client_ip;
use crate::domain::{StaffId, now_millis};
use crate::state::AppState;
use crate::store::{NewAudit, NewOperatorEvent, PartnerRow, Store};
use poem::Request;

/// What the journal records; each has an `audit.<key>` text in the catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Login,
    LoginFailed,
    /// A viewer or a sender posted a form their right does not allow (journaled once an hour
    /// an account and server process); the detail names the form's path and the right.
    RightsRefused,
    Logout,
    TokenRotated,
    /// The old token works until the date in the detail.
    TokenRotatedGrace,
    /// The detail names the key and says when it is for reading only.
    ApiKeyAdded,
    /// The detail names the key.
    ApiKeyRevoked,
    /// The detail names the key and the addresses it is accepted from.
    ApiKeyAddresses,
    /// The detail names the key and its access now.
    ApiKeyAccess,
    ApiKeyEnd,
    /// A rotated key's old token ended before its grace period was over; the detail names the
    /// key.
    ApiKeyOldEnded,
    /// A call with the key from an address it does not accept (once an hour a key): the
    /// detail names the key and the address.
    ApiKeyRefused,
    PasswordChanged,
    /// The login asks for a code from an authenticator app from now on, or no longer.
    SecondFactorOn,
    SecondFactorOff,
    /// New recovery codes in place of the old.
    RecoveryCodesRenewed,
    /// The company requires a login code of every account, or no longer; the detail of the
    /// first is how many admins without one were logged out.
    SecondFactorRequired,
    SecondFactorOptional,
    /// The admin ended their sessions on other devices; the detail is how many.
    OtherSessionsEnded,
    /// A named admin of the cabinet, by the company's own account; the detail is the admin's
    /// login and name (and, for a reset, that their login code was removed).
    AdminAdded,
    AdminDisabled,
    AdminEnabled,
    AdminPasswordReset,
    AdminDeleted,
    /// The detail is the admin, and "только просмотр" when made a viewer.
    AdminRoleChanged,
    /// Another company's named admin given access to the cabinet (the detail: their login,
    /// name and right), accepting it, declining or giving it up, and the company taking it
    /// back. Disabling, enabling and a new right are the `Admin…` entries.
    AccessGranted,
    AccessAccepted,
    AccessDeclined,
    AccessRemoved,
    ApprovalOn,
    ApprovalOff,
    /// Only the staff list may log in to the app, or anyone with the INN again.
    ListOnlyOn,
    ListOnlyOff,
    RetentionChanged,
    /// The detail is the delay of automatic reminders to acknowledge, or that they are off.
    AutoRemindersChanged,
    /// The detail is the delay of the SMS to employees who have not read a message, and for
    /// which messages, or that they are off.
    SmsFallbackChanged,
    StaffApproved,
    StaffEnabled,
    StaffDisabled,
    StaffRenamed,
    /// The detail is the employee, the old phone and the new.
    StaffPhoneChanged,
    StaffDeleted,
    /// The detail is how many were added, approved and there already.
    StaffAdded,
    /// The detail is how many changed.
    StaffBulkEnabled,
    StaffBulkDisabled,
    /// A sync of the whole staff finished (`finishstaffsync`).
    StaffSynced,
    /// Invitations to the app by SMS asked for; the detail is how many employees.
    StaffInvited,
    /// The server sent invitations (the detail: how many).
    StaffInvitesSent,
    GroupSaved,
    GroupDeleted,
    GroupMembersAdded,
    GroupMembersRemoved,
    Sent,
    /// The detail is the title, the time and the recipients.
    Scheduled,
    ScheduleCancelled,
    /// A waiting send's time or words changed; the detail is the title and the time, before →
    /// after.
    ScheduleChanged,
    /// The detail is how many, and their IDs.
    MessagesRecalled,
    MessagesResent,
    /// Reminders to acknowledge queued; the detail is how many, and their IDs.
    MessagesReminded,
    /// Messages not read in time went by SMS (the server's); the detail is how many, and
    /// their IDs.
    MessagesSms,
    /// The operator's monthly limit of SMS was reached (once a month): the detail is the limit.
    SmsLimitReached,
    /// The detail is the template's name.
    TemplateSaved,
    TemplateDeleted,
    PartnerCreated,
    PartnerDisabled,
    PartnerEnabled,
    /// The detail is the old and new short and full names.
    PartnerRenamed,
    /// The detail is the old and the new limit of API calls a second (`—`: the server's).
    PartnerRateSet,
    /// The detail is the old and the new limit of SMS a month (`—`: the server's).
    PartnerSmsLimitSet,
    /// The detail is the old and the new room for files in megabytes (`—`: the server's).
    PartnerFileRoomSet,
    PasswordReset,
    /// In the operator's journal only (the company's goes with it); the detail is how many
    /// messages and employees were deleted.
    PartnerErased,
    /// In the operator's journal only, as the next: the detail is the operator's login.
    OperatorCreated,
    OperatorPasswordSet,
    /// In the operator's journal only: the key sealing secrets at rest changed (the command line
    /// rotated the key file, or the server started with SIMO_SECRET_KEY_PREVIOUS); the detail
    /// is how many secrets were sealed with the new key.
    SecretKeyRotated,
    /// The detail is the address.
    WebhookOn,
    /// The detail is the old and the new address.
    WebhookMoved,
    WebhookSecretRotated,
    WebhookOff,
    WebhookStaffOn,
    WebhookStaffOff,
}

/// The journal's filter: kinds of action, each an `audit.kind.<key>` text in the catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Logins, failed logins, logouts.
    Access,
    /// The API token, the password, the registration policy.
    Security,
    Staff,
    Sent,
    Webhook,
    /// What the operator did to the partner.
    Operator,
}

impl Kind {
    pub const ALL: [Self; 6] = [
        Self::Access,
        Self::Security,
        Self::Staff,
        Self::Sent,
        Self::Webhook,
        Self::Operator,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Self::Access => "access",
            Self::Security => "security",
            Self::Staff => "staff",
            Self::Sent => "sent",
            Self::Webhook => "webhook",
            Self::Operator => "operator",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.key() == s)
    }

    /// The stored keys of the actions of this kind.
    pub fn actions(self) -> Vec<&'static str> {
        Action::ALL
            .into_iter()
            .filter(|a| a.kind() == self)
            .map(Action::key)
            .collect()
    }
}

impl Action {
    pub const ALL: [Self; 82] = [
        Self::Login,
        Self::LoginFailed,
        Self::RightsRefused,
        Self::Logout,
        Self::TokenRotated,
        Self::TokenRotatedGrace,
        Self::ApiKeyAdded,
        Self::ApiKeyRevoked,
        Self::ApiKeyAddresses,
        Self::ApiKeyAccess,
        Self::ApiKeyEnd,
        Self::ApiKeyOldEnded,
        Self::ApiKeyRefused,
        Self::PasswordChanged,
        Self::SecondFactorOn,
        Self::SecondFactorOff,
        Self::RecoveryCodesRenewed,
        Self::SecondFactorRequired,
        Self::SecondFactorOptional,
        Self::OtherSessionsEnded,
        Self::AdminAdded,
        Self::AdminDisabled,
        Self::AdminEnabled,
        Self::AdminPasswordReset,
        Self::AdminDeleted,
        Self::AdminRoleChanged,
        Self::AccessGranted,
        Self::AccessAccepted,
        Self::AccessDeclined,
        Self::AccessRemoved,
        Self::ApprovalOn,
        Self::ApprovalOff,
        Self::ListOnlyOn,
        Self::ListOnlyOff,
        Self::RetentionChanged,
        Self::AutoRemindersChanged,
        Self::SmsFallbackChanged,
        Self::StaffApproved,
        Self::StaffEnabled,
        Self::StaffDisabled,
        Self::StaffRenamed,
        Self::StaffPhoneChanged,
        Self::StaffDeleted,
        Self::StaffAdded,
        Self::StaffBulkEnabled,
        Self::StaffBulkDisabled,
        Self::StaffSynced,
        Self::StaffInvited,
        Self::StaffInvitesSent,
        Self::GroupSaved,
        Self::GroupDeleted,
        Self::GroupMembersAdded,
        Self::GroupMembersRemoved,
        Self::Sent,
        Self::Scheduled,
        Self::ScheduleCancelled,
        Self::ScheduleChanged,
        Self::MessagesRecalled,
        Self::MessagesResent,
        Self::MessagesReminded,
        Self::MessagesSms,
        Self::SmsLimitReached,
        Self::TemplateSaved,
        Self::TemplateDeleted,
        Self::PartnerCreated,
        Self::PartnerDisabled,
        Self::PartnerEnabled,
        Self::PartnerRenamed,
        Self::PartnerRateSet,
        Self::PartnerSmsLimitSet,
        Self::PartnerFileRoomSet,
        Self::PasswordReset,
        Self::PartnerErased,
        Self::OperatorCreated,
        Self::OperatorPasswordSet,
        Self::SecretKeyRotated,
        Self::WebhookOn,
        Self::WebhookMoved,
        Self::WebhookSecretRotated,
        Self::WebhookOff,
        Self::WebhookStaffOn,
        Self::WebhookStaffOff,
    ];

    pub fn kind(self) -> Kind {
        match self {
            Self::Login | Self::LoginFailed | Self::Logout | Self::RightsRefused => Kind::Access,
            Self::TokenRotated
            | Self::TokenRotatedGrace
            | Self::ApiKeyAdded
            | Self::ApiKeyRevoked
            | Self::ApiKeyAddresses
            | Self::ApiKeyAccess
            | Self::ApiKeyEnd
            | Self::ApiKeyOldEnded
            | Self::ApiKeyRefused
            | Self::PasswordChanged
            | Self::SecondFactorOn
            | Self::SecondFactorOff
            | Self::RecoveryCodesRenewed
            | Self::SecondFactorRequired
            | Self::SecondFactorOptional
            | Self::OtherSessionsEnded
            | Self::AdminAdded
            | Self::AdminDisabled
            | Self::AdminEnabled
            | Self::AdminPasswordReset
            | Self::AdminDeleted
            | Self::AdminRoleChanged
            | Self::AccessGranted
            | Self::AccessAccepted
            | Self::AccessDeclined
            | Self::AccessRemoved
            | Self::ApprovalOn
            | Self::ApprovalOff
            | Self::ListOnlyOn
            | Self::ListOnlyOff
            | Self::RetentionChanged
            | Self::AutoRemindersChanged
            | Self::SmsFallbackChanged => Kind::Security,
            Self::StaffApproved
            | Self::StaffEnabled
            | Self::StaffDisabled
            | Self::StaffRenamed
            | Self::StaffPhoneChanged
            | Self::StaffDeleted
            | Self::StaffAdded
            | Self::StaffBulkEnabled
            | Self::StaffBulkDisabled
            | Self::StaffSynced
            | Self::StaffInvited
            | Self::StaffInvitesSent
            | Self::GroupSaved
            | Self::GroupDeleted
            | Self::GroupMembersAdded
            | Self::GroupMembersRemoved => Kind::Staff,
            Self::Sent
            | Self::Scheduled
            | Self::ScheduleCancelled
            | Self::ScheduleChanged
            | Self::MessagesRecalled
            | Self::MessagesResent
            | Self::MessagesReminded
            | Self::MessagesSms
            | Self::SmsLimitReached
            | Self::TemplateSaved
            | Self::TemplateDeleted => Kind::Sent,
            Self::WebhookOn
            | Self::WebhookMoved
            | Self::WebhookSecretRotated
            | Self::WebhookOff
            | Self::WebhookStaffOn
            | Self::WebhookStaffOff => Kind::Webhook,
            Self::PartnerCreated
            | Self::PartnerDisabled
            | Self::PartnerEnabled
            | Self::PartnerRenamed
            | Self::PartnerRateSet
            | Self::PartnerSmsLimitSet
            | Self::PartnerFileRoomSet
            | Self::PasswordReset
            | Self::PartnerErased
            | Self::OperatorCreated
            | Self::OperatorPasswordSet
            | Self::SecretKeyRotated => Kind::Operator,
        }
    }

    /// The stored key (never renamed: old entries keep it).
    pub fn key(self) -> &'static str {
        match self {
            Self::Login => "login",
            Self::LoginFailed => "login_failed",
            Self::RightsRefused => "rights_refused",
            Self::Logout => "logout",
            Self::TokenRotated => "token_rotated",
            Self::TokenRotatedGrace => "token_rotated_grace",
            Self::ApiKeyAdded => "api_key_added",
            Self::ApiKeyRevoked => "api_key_revoked",
            Self::ApiKeyAddresses => "api_key_addresses",
            Self::ApiKeyAccess => "api_key_access",
            Self::ApiKeyEnd => "api_key_end",
            Self::ApiKeyOldEnded => "api_key_old_ended",
            Self::ApiKeyRefused => "api_key_refused",
            Self::PasswordChanged => "password_changed",
            Self::SecondFactorOn => "second_factor_on",
            Self::SecondFactorOff => "second_factor_off",
            Self::OtherSessionsEnded => "other_sessions_ended",
            Self::AdminAdded => "admin_added",
            Self::AdminDisabled => "admin_disabled",
            Self::AdminEnabled => "admin_enabled",
            Self::AdminPasswordReset => "admin_password_reset",
            Self::AdminDeleted => "admin_deleted",
            Self::AdminRoleChanged => "admin_role_changed",
            Self::AccessGranted => "access_granted",
            Self::AccessAccepted => "access_accepted",
            Self::AccessDeclined => "access_declined",
            Self::AccessRemoved => "access_removed",
            Self::RecoveryCodesRenewed => "recovery_codes_renewed",
            Self::SecondFactorRequired => "second_factor_required",
            Self::SecondFactorOptional => "second_factor_optional",
            Self::ApprovalOn => "approval_on",
            Self::ApprovalOff => "approval_off",
            Self::ListOnlyOn => "list_only_on",
            Self::ListOnlyOff => "list_only_off",
            Self::RetentionChanged => "retention_changed",
            Self::AutoRemindersChanged => "auto_reminders_changed",
            Self::SmsFallbackChanged => "sms_fallback_changed",
            Self::StaffApproved => "staff_approved",
            Self::StaffEnabled => "staff_enabled",
            Self::StaffDisabled => "staff_disabled",
            Self::StaffRenamed => "staff_renamed",
            Self::StaffPhoneChanged => "staff_phone_changed",
            Self::StaffDeleted => "staff_deleted",
            Self::StaffAdded => "staff_added",
            Self::StaffBulkEnabled => "staff_bulk_enabled",
            Self::StaffBulkDisabled => "staff_bulk_disabled",
            Self::StaffSynced => "staff_synced",
            Self::StaffInvited => "staff_invited",
            Self::StaffInvitesSent => "staff_invites_sent",
            Self::GroupSaved => "group_saved",
            Self::GroupDeleted => "group_deleted",
            Self::GroupMembersAdded => "group_members_added",
            Self::GroupMembersRemoved => "group_members_removed",
            Self::Sent => "sent",
            Self::Scheduled => "scheduled",
            Self::ScheduleCancelled => "schedule_cancelled",
            Self::ScheduleChanged => "schedule_changed",
            Self::MessagesRecalled => "messages_recalled",
            Self::MessagesResent => "messages_resent",
            Self::MessagesReminded => "messages_reminded",
            Self::MessagesSms => "messages_sms",
            Self::SmsLimitReached => "sms_limit_reached",
            Self::TemplateSaved => "template_saved",
            Self::TemplateDeleted => "template_deleted",
            Self::PartnerCreated => "partner_created",
            Self::PartnerDisabled => "partner_disabled",
            Self::PartnerEnabled => "partner_enabled",
            Self::PartnerRenamed => "partner_renamed",
            Self::PartnerRateSet => "partner_rate_set",
            Self::PartnerSmsLimitSet => "partner_sms_limit_set",
            Self::PartnerFileRoomSet => "partner_file_room_set",
            Self::PasswordReset => "password_reset",
            Self::PartnerErased => "partner_erased",
            Self::OperatorCreated => "operator_created",
            Self::OperatorPasswordSet => "operator_password",
            Self::SecretKeyRotated => "secret_key_rotated",
            Self::WebhookOn => "webhook_on",
            Self::WebhookMoved => "webhook_moved",
            Self::WebhookSecretRotated => "webhook_secret",
            Self::WebhookOff => "webhook_off",
            Self::WebhookStaffOn => "webhook_staff_on",
            Self::WebhookStaffOff => "webhook_staff_off",
        }
    }
}

/// The company's own cabinet account (its INN and password).
pub const ADMIN: &str = "admin";

/// Whom the journal names for a cabinet login: the named admin, or the company's own account.
pub fn actor_of(admin: Option<&crate::store::AdminRow>) -> String {
    admin.map_or_else(|| ADMIN.to_owned(), |a| self::admin(&a.login))
}

/// Who acts in the company's cabinet by name, as (login, name): its named admins, then other
/// companies' admins given access to it.
pub async fn people(
    store: &crate::store::Store,
    partner_id: i64,
) -> crate::error::Result<Vec<(String, String)>> {
    let own = store.admins_of(partner_id).await?;
    let guests = store.access_granted_by(partner_id).await?;
    let own = own.into_iter().map(|a| (a.login, a.name));
    Ok(own
        .chain(guests.into_iter().map(|g| (g.login, g.name)))
        .collect())
}

/// A named admin of the company's cabinet, by login: the login stays in the journal after the
/// admin is deleted.
pub fn admin(login: &str) -> String {
    format!("admin:{login}")
}

/// Someone who tried the partner's INN with a wrong password: not known to be its admin.
pub const VISITOR: &str = "visitor";

/// The partner's system, through the API with the partner's token.
pub const API: &str = "api";

/// An employee, from the app with their own token.
pub const EMPLOYEE: &str = "employee";

/// The server's command line (`simo-backend partner …`), run by whoever administers the server.
pub const CLI: &str = "cli";

/// The server itself, on a rule the partner set (an automatic reminder).
pub const SERVER: &str = "server";

/// The actor of an API call with the company's key `name` (the main key's is '': `api`, as
/// before there were several).
pub fn api_key(name: &str) -> String {
    match name {
        "" => API.to_owned(),
        name => format!("{API}:{name}"),
    }
}

/// The journal's words for a company's key: its name, or "the main key".
pub fn key_words(name: &str) -> String {
    match name {
        "" => crate::phrase::stored::AUDIT_MAIN_KEY.fill(&[]),
        name => crate::phrase::stored::AUDIT_KEY.fill(&[name]),
    }
}

/// The actor of the operator's actions.
pub fn operator(login: &str) -> String {
    format!("operator:{login}")
}

/// The operator journal's detail of a company's deletion: what went with it.
pub fn erased(e: &crate::store::Erased) -> String {
    crate::phrase::stored::AUDIT_PARTNER_ERASED
        .fill(&[&e.messages.to_string(), &e.staff.to_string()])
}

/// The detail of a password reset that removed (or not) the account's second factor.
pub fn second_factor_removed(removed: bool) -> String {
    match removed {
        true => crate::phrase::stored::AUDIT_SECOND_FACTOR_REMOVED.fill(&[]),
        false => String::new(),
    }
}

/// An employee as the journal names them.
pub fn employee(name: &str, id: i64) -> String {
    format!("{name} (ID {id})")
}

/// Records an action that has already happened. A failure to record does not undo it or hide
/// its success from the admin: it is logged as an error, with the entry, instead.
pub async fn record(
    state: &AppState,
    req: &Request,
    partner_id: i64,
    actor: &str,
    action: Action,
    detail: &str,
) {
    let ip = client_ip(req, state.settings.trust_forwarded_for);
    write(&state.store, partner_id, actor, action, detail, &ip, None).await;
}

/// `record` for an entry about one employee (`staff`): their card shows it, and the journal
/// finds it by them.
pub async fn record_about(
    state: &AppState,
    req: &Request,
    partner_id: i64,
    actor: &str,
    action: Action,
    detail: &str,
    staff: StaffId,
) {
    let ip = client_ip(req, state.settings.trust_forwarded_for);
    let about = Some(staff.0);
    write(&state.store, partner_id, actor, action, detail, &ip, about).await;
}

/// Records what an operator did to a company twice: in the company's journal, which its admin
/// reads, and in the operator's, which outlives the company.
pub async fn by_operator(
    state: &AppState,
    req: &Request,
    login: &str,
    partner: &PartnerRow,
    action: Action,
    detail: &str,
) {
    let ip = client_ip(req, state.settings.trust_forwarded_for);
    let actor = operator(login);
    write(&state.store, partner.id, &actor, action, detail, &ip, None).await;
    write_operator(&state.store, &actor, Some(partner), action, detail, &ip).await;
}

/// Records in the operator's journal alone what no company's journal can keep (the company's
/// deletion) or is no company's business (an operator's login).
pub async fn for_operator(
    state: &AppState,
    req: &Request,
    actor: &str,
    partner: Option<&PartnerRow>,
    action: Action,
    detail: &str,
) {
    let ip = client_ip(req, state.settings.trust_forwarded_for);
    write_operator(&state.store, actor, partner, action, detail, &ip).await;
}

/// Records what a staff list did (from the API or the cabinet): the employees added or
/// approved, and those a whole-staff list disabled. Nothing when it changed nothing.
/// Invitations to the app asked for (`n` employees), by the cabinet's button or `addstaff`.
pub async fn invitations_wanted(
    state: &AppState,
    req: &Request,
    partner_id: i64,
    actor: &str,
    n: u64,
) {
    if n > 0 {
        let detail = crate::phrase::stored::AUDIT_INVITES_WANTED.fill(&[&n.to_string()]);
        record(state, req, partner_id, actor, Action::StaffInvited, &detail).await;
    }
}

pub async fn staff_list(
    state: &AppState,
    req: &Request,
    partner_id: i64,
    actor: &str,
    counts: &crate::service::staff_list::Counts,
) {
    if let Some(detail) = counts.journal_detail() {
        record(state, req, partner_id, actor, Action::StaffAdded, &detail).await;
    }
    if counts.disabled > 0 {
        let detail = counts.disabled.to_string();
        record(
            state,
            req,
            partner_id,
            actor,
            Action::StaffBulkDisabled,
            &detail,
        )
        .await;
    }
}

/// Records a finished sync of the whole staff: how many were listed and how many disabled.
pub async fn staff_synced(
    state: &AppState,
    req: &Request,
    partner_id: i64,
    actor: &str,
    done: &crate::store::SyncFinished,
) {
    let detail = crate::phrase::stored::AUDIT_STAFF_SYNCED
        .fill(&[&done.listed.to_string(), &done.disabled.len().to_string()]);
    record(state, req, partner_id, actor, Action::StaffSynced, &detail).await;
}

/// Records what `staff_edit::edit` changed, each change its entry, as the employee list always
/// has: renamed (old → new), phone (old → new), approved, enabled or disabled.
pub async fn staff_changes(
    state: &AppState,
    req: &Request,
    partner_id: i64,
    actor: &str,
    after: &crate::store::StaffRow,
    changes: &[crate::service::staff_edit::Change],
) {
    use crate::service::staff_edit::Change;
    use crate::store::StaffState;
    let who = employee(&after.name, after.id);
    for change in changes {
        let (action, detail) = match change {
            Change::Renamed { old } => (Action::StaffRenamed, format!("{old} → {who}")),
            Change::PhoneChanged { old } => (
                Action::StaffPhoneChanged,
                format!("{who}: {old} → {}", after.phone),
            ),
            Change::State { old } => match (old, after.state()) {
                (StaffState::Pending, StaffState::Active) => (Action::StaffApproved, who.clone()),
                (_, StaffState::Active) => (Action::StaffEnabled, who.clone()),
                _ => (Action::StaffDisabled, who.clone()),
            },
        };
        let about = StaffId(after.id);
        record_about(state, req, partner_id, actor, action, &detail, about).await;
    }
}

/// `by_operator` for what the server's command line did: no request, so no client address.
pub async fn record_cli(store: &Store, partner: &PartnerRow, action: Action, detail: &str) {
    write(store, partner.id, CLI, action, detail, "", None).await;
    write_operator(store, CLI, Some(partner), action, detail, "").await;
}

/// `for_operator` for what the server's command line did.
pub async fn record_cli_for_operator(
    store: &Store,
    partner: Option<&PartnerRow>,
    action: Action,
    detail: &str,
) {
    write_operator(store, CLI, partner, action, detail, "").await;
}

/// The action and detail of a login code required (with the sessions it ended) or lifted.
pub fn code_rule(required: bool, ended: u64) -> (Action, String) {
    match required {
        true => (
            Action::SecondFactorRequired,
            crate::phrase::stored::AUDIT_SESSIONS_ENDED.fill(&[&ended.to_string()]),
        ),
        false => (Action::SecondFactorOptional, String::new()),
    }
}

/// Records what the server did by itself, in the operator's journal.
pub async fn record_server_for_operator(store: &Store, action: Action, detail: &str) {
    write_operator(store, SERVER, None, action, detail, "").await;
}

/// The detail of a key rotation: how many secrets were sealed with the new key.
pub fn resealed(count: u64) -> String {
    crate::phrase::stored::AUDIT_RESEALED.fill(&[&count.to_string()])
}

/// Records what the server did by itself for the partner.
pub async fn record_server(store: &Store, partner_id: i64, action: Action, detail: &str) {
    write(store, partner_id, SERVER, action, detail, "", None).await;
}

async fn write(
    store: &Store,
    partner_id: i64,
    actor: &str,
    action: Action,
    detail: &str,
    client_ip: &str,
    staff_id: Option<i64>,
) {
    let action = action.key();
    let entry = NewAudit {
        partner_id,
        actor,
        action,
        detail,
        client_ip,
        now: now_millis(),
        staff_id,
    };
    if let Err(e) = store.record_audit(&entry).await {
        tracing::error!(error = %e, partner_id, actor, action, detail, client_ip, "journal entry not recorded");
    }
}

async fn write_operator(
    store: &Store,
    actor: &str,
    partner: Option<&PartnerRow>,
    action: Action,
    detail: &str,
    client_ip: &str,
) {
    let action = action.key();
    let (partner_inn, partner_name) =
        partner.map_or(("", ""), |p| (p.inn.as_str(), p.short_name.as_str()));
    let entry = NewOperatorEvent {
        actor,
        action,
        partner_inn,
        partner_name,
        detail,
        client_ip,
        now: now_millis(),
    };
    if let Err(e) = store.record_operator_event(&entry).await {
        tracing::error!(error = %e, actor, action, partner_inn, detail, client_ip, "operator journal entry not recorded");
    }
}

#[cfg(test)]
mod tests {
    use super::super::i18n::{Lang, Tr};
    use super::Action;

    #[test]
    fn every_action_has_a_text_in_both_languages() {
        for a in Action::ALL {
            let key = format!("audit.{}", a.key());
            assert!(Tr(Lang::Ru).get(&key).is_some(), "{key} in Russian");
            assert!(Tr(Lang::En).get(&key).is_some(), "{key} in English");
        }
        let mut keys: Vec<_> = Action::ALL.iter().map(|a| a.key()).collect();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), Action::ALL.len(), "stored keys are unique");
    }

    #[test]
    fn every_kind_has_a_text_and_actions() {
        for k in super::Kind::ALL {
            let key = format!("audit.kind.{}", k.key());
            assert!(Tr(Lang::Ru).get(&key).is_some(), "{key} in Russian");
            assert!(Tr(Lang::En).get(&key).is_some(), "{key} in English");
            assert!(!k.actions().is_empty(), "{key}");
            assert_eq!(super::Kind::parse(k.key()), Some(k));
        }
        assert_eq!(super::Kind::parse("everything"), None);
    }
}
