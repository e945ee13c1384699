//! The routes, a module per part of the service.

pub mod admin;
pub mod applications;
pub mod curation;
pub mod figures;
pub mod pages;
pub mod projects;
pub mod public;
pub mod session;
