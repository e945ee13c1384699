//! The access-request workflow: the states of an application and the steps between them, each
//! with the right it takes. One table; the store refuses any other step.
//!
//! ```text
//! draft ──submit──▶ submitted ──open review (steward)──▶ under review
//!   ▲                  ▲                                   │ decide (committee)
//!   │ amend            └──submit── changes requested ◀─────┤
//!   │                                                      ├──▶ rejected
//! approved ◀──confirm conditions (steward)── conditionally approved ◀─┤
//!   ▲                                                      │
//!   └──────────────────────────────────────────────────────┘
//! ```
//! An amendment (new variables, members, an extension) is the approved project's application
//! again as a draft, reviewed as the first time; the permit in force stays until a new approval
//! replaces it, and a refused amendment returns the project to `approved` under its old permit.

use serde::{Deserialize, Serialize};

use crate::roles::Action;

/// The state of an application.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Being written by its owner (or an amendment being written).
    Draft,
    /// Sent; a data steward checks it is complete.
    Submitted,
    /// With the committee: opinions, then a decision.
    UnderReview,
    /// Returned to the owner with the changes the committee asks for.
    ChangesRequested,
    /// Approved: its permit is in force (until it expires).
    Approved,
    /// Approved once the conditions are met, which a data steward confirms.
    ConditionallyApproved,
    /// Refused.
    Rejected,
}

impl State {
    /// The state's name, as the API writes it.
    pub fn name(self) -> &'static str {
        match self {
            State::Draft => "draft",
            State::Submitted => "submitted",
            State::UnderReview => "under_review",
            State::ChangesRequested => "changes_requested",
            State::Approved => "approved",
            State::ConditionallyApproved => "conditionally_approved",
            State::Rejected => "rejected",
        }
    }

    /// The state named `name`.
    pub fn parse(name: &str) -> Option<State> {
        [
            State::Draft,
            State::Submitted,
            State::UnderReview,
            State::ChangesRequested,
            State::Approved,
            State::ConditionallyApproved,
            State::Rejected,
        ]
        .into_iter()
        .find(|s| s.name() == name)
    }
}

/// A step of the workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// The owner sends the application (first time, or again after changes were requested).
    Submit,
    /// A steward sends a complete application to the committee.
    OpenReview,
    /// The committee asks for changes.
    RequestChanges,
    /// The committee approves.
    Approve,
    /// The committee approves under conditions.
    ApproveWithConditions,
    /// The committee refuses.
    Reject,
    /// A steward confirms the conditions are met.
    ConfirmConditions,
    /// The owner starts an amendment of an approved project.
    Amend,
}

/// The steps: from a state, the step, the state it leads to, and the right it takes.
pub const STEPS: [(State, Step, State, Action); 9] = [
    (State::Draft, Step::Submit, State::Submitted, Action::Apply),
    (State::ChangesRequested, Step::Submit, State::Submitted, Action::Apply),
    (State::Submitted, Step::OpenReview, State::UnderReview, Action::OpenReview),
    (State::UnderReview, Step::RequestChanges, State::ChangesRequested, Action::Decide),
    (State::UnderReview, Step::Approve, State::Approved, Action::Decide),
    (State::UnderReview, Step::ApproveWithConditions, State::ConditionallyApproved, Action::Decide),
    (State::UnderReview, Step::Reject, State::Rejected, Action::Decide),
    (State::ConditionallyApproved, Step::ConfirmConditions, State::Approved, Action::ConfirmConditions),
    // An amendment; an expired project's owner applies for an extension the same way.
    (State::Approved, Step::Amend, State::Draft, Action::Apply),
];

/// Where `step` leads from `state`, and the right it takes; `None` if it cannot be taken there.
pub fn next(state: State, step: Step) -> Option<(State, Action)> {
    STEPS.iter().find(|(from, s, _, _)| *from == state && *s == step).map(|(_, _, to, action)| (*to, *action))
}

/// The steps that can be taken from `state`.
pub fn steps_from(state: State) -> Vec<Step> {
    STEPS.iter().filter(|(from, ..)| *from == state).map(|(_, step, ..)| *step).collect()
}
