//! Who may do what: the roles of the platform and the one table of their rights, which every
//! route of the server checks and the README prints (`oncodata users roles`).
//!
//! Beyond the table, three rules hold on the objects themselves: an applicant acts only on the
//! applications they own (and reads those they are a member of); a project's data is open only
//! to the members its permit names, while the permit is in force; a committee member who
//! declared a conflict of interest on an application neither reads its reviews nor votes on it.

use serde::{Deserialize, Serialize};

/// The role of an account. The public (no account) is [`Role::Public`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Anyone, without an account: the register and published figures.
    Public,
    /// A researcher: applies for access, and works in the projects they are a member of.
    Applicant,
    /// A member of the scientific and ethics committee: reviews applications and decides.
    Committee,
    /// A data steward: checks an application is complete before review, confirms the
    /// conditions of a conditional approval, builds workspaces, watches data quality.
    Steward,
    /// An administrator: accounts and the audit log.
    Admin,
}

impl Role {
    /// Every role, in the order of the table.
    pub const ALL: [Role; 5] = [Role::Public, Role::Applicant, Role::Committee, Role::Steward, Role::Admin];

    /// The role's name as written in commands, the store and the API.
    pub fn name(self) -> &'static str {
        match self {
            Role::Public => "public",
            Role::Applicant => "applicant",
            Role::Committee => "committee",
            Role::Steward => "steward",
            Role::Admin => "admin",
        }
    }

    /// The role named `name` (an account's role: not `public`).
    pub fn parse(name: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.name() == name && *r != Role::Public)
    }
}

/// What a user may ask of the platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Read the public register of decided projects.
    ReadRegister,
    /// Write or amend an application (their own).
    Apply,
    /// Read an application (their own or one they are a member of; as a reviewer, every one
    /// submitted, unless conflicted).
    ReadApplication,
    /// Send an application to review after checking it is complete.
    OpenReview,
    /// Declare a conflict of interest on an application.
    DeclareConflict,
    /// Give an opinion on an application under review.
    Review,
    /// Decide on an application under review.
    Decide,
    /// Confirm that the conditions of a conditional approval are met.
    ConfirmConditions,
    /// Query a project's workspace, and make API tokens for it (its members, permit in force).
    UseWorkspace,
    /// Read the quarantine (the rejected records' source text) and the quality reports; correct
    /// a record and ingest it again.
    Curate,
    /// Add, list, disable accounts and reset their passwords.
    ManageUsers,
    /// Read and verify the audit log, sign a checkpoint.
    Audit,
}

impl Action {
    /// Every action, in the order of the table.
    pub const ALL: [Action; 12] = [
        Action::ReadRegister,
        Action::Apply,
        Action::ReadApplication,
        Action::OpenReview,
        Action::DeclareConflict,
        Action::Review,
        Action::Decide,
        Action::ConfirmConditions,
        Action::UseWorkspace,
        Action::Curate,
        Action::ManageUsers,
        Action::Audit,
    ];

    /// What the action is, for the table and for refusals.
    pub fn describe(self) -> &'static str {
        match self {
            Action::ReadRegister => "read the public register",
            Action::Apply => "write, submit and amend an application",
            Action::ReadApplication => "read an application",
            Action::OpenReview => "send a submitted application to the committee",
            Action::DeclareConflict => "declare a conflict of interest",
            Action::Review => "give an opinion on an application",
            Action::Decide => "decide on an application",
            Action::ConfirmConditions => "confirm the conditions of a conditional approval are met",
            Action::UseWorkspace => "query a project's workspace and make its API tokens",
            Action::Curate => "read the quarantine and the quality reports, and correct and re-ingest records",
            Action::ManageUsers => "manage accounts",
            Action::Audit => "read, verify and checkpoint the audit log",
        }
    }
}

/// The table: each action and the roles that may take it. The one place rights are written.
pub const RIGHTS: [(Action, &[Role]); 12] = [
    (Action::ReadRegister, &[Role::Public, Role::Applicant, Role::Committee, Role::Steward, Role::Admin]),
    (Action::Apply, &[Role::Applicant]),
    (Action::ReadApplication, &[Role::Applicant, Role::Committee, Role::Steward]),
    (Action::OpenReview, &[Role::Steward]),
    (Action::DeclareConflict, &[Role::Committee]),
    (Action::Review, &[Role::Committee]),
    (Action::Decide, &[Role::Committee]),
    (Action::ConfirmConditions, &[Role::Steward]),
    (Action::UseWorkspace, &[Role::Applicant]),
    (Action::Curate, &[Role::Steward]),
    (Action::ManageUsers, &[Role::Admin]),
    (Action::Audit, &[Role::Admin]),
];

/// Whether `role` may take `action` (before the rules on the object itself).
pub fn allows(role: Role, action: Action) -> bool {
    RIGHTS.iter().any(|(a, roles)| *a == action && roles.contains(&role))
}

/// The table as Markdown, as the README shows it.
pub fn markdown() -> String {
    let mut text = String::from("| may … | ");
    text += &Role::ALL.iter().map(|r| r.name()).collect::<Vec<_>>().join(" | ");
    text += " |\n|---|";
    text += &"---|".repeat(Role::ALL.len());
    text += "\n";
    for (action, _) in RIGHTS {
        text += &format!("| {} |", action.describe());
        for role in Role::ALL {
            text += if allows(role, action) { " yes |" } else { " |" };
        }
        text += "\n";
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_names_every_action_once_and_the_readme_prints_it() {
        for action in Action::ALL {
            assert_eq!(RIGHTS.iter().filter(|(a, _)| *a == action).count(), 1, "{action:?}");
        }
        let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md")).unwrap();
        assert!(
            readme.contains(&markdown()),
            "README.md must hold the roles table as `oncodata users roles` prints it"
        );
    }

    #[test]
    fn only_administrators_manage_accounts_and_the_public_only_reads_the_register() {
        assert!(Role::ALL.iter().all(|r| allows(*r, Action::ManageUsers) == (*r == Role::Admin)));
        assert!(Action::ALL.iter().all(|a| allows(Role::Public, *a) == (*a == Action::ReadRegister)));
        assert_eq!(Role::parse("public"), None, "no account has the public's role");
        assert_eq!(Role::parse("committee"), Some(Role::Committee));
    }
}
