//! The platform service: one HTTP server (axum) over a warehouse and its governance store —
//! accounts and sessions, the access-request workflow, committee review, permits and project
//! tokens, the public register, the audit log — with its OpenAPI 3.1 description generated from
//! the code (utoipa) at `/api/openapi.json`.
//!
//! Every route checks the caller against the roles table (`oncodata_governance::roles`) and the
//! rules on the object; every change is recorded in the audit log before it is acknowledged.

pub mod auth;
pub mod error;
pub mod flight;
pub mod routes;
pub mod tls;
pub mod workspace;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::StatusCode;
use oncodata_governance::Governance;
use oncodata_governance::register::Register;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::LoginLimiter;
use crate::error::ApiError;
use crate::workspace::Workspaces;

/// How long the register is served from memory before it is read again (changes made through
/// this server clear it at once).
const REGISTER_SECONDS: u64 = 5;

/// The most published figures kept in memory (the oldest computed goes first).
pub const MAX_FIGURES: usize = 512;

/// The published figures in memory: those of one snapshot of the warehouse (a new snapshot
/// empties it), each with when it was computed.
#[derive(Default)]
struct Figures {
    /// The snapshot they were computed on.
    snapshot: u64,
    /// When the latest snapshot's number was last read (at most once a second).
    checked: Option<Instant>,
    entries: std::collections::HashMap<String, (Instant, routes::figures::Published)>,
}

/// What the handlers share.
#[derive(Clone)]
pub struct AppState {
    /// The governance store and audit log.
    pub governance: Governance,
    /// Login attempts per client address.
    pub limiter: Arc<LoginLimiter>,
    /// The project workspaces.
    pub workspaces: Workspaces,
    /// The register, as last read.
    register: Arc<RwLock<Option<(Instant, Register)>>>,
    /// Published figures, by their selection, as computed on the warehouse's latest snapshot.
    figures: Arc<RwLock<Figures>>,
    /// A gate per figure being computed, so that visitors asking for it at once wait for one
    /// computation instead of starting one each.
    computing: Arc<std::sync::Mutex<std::collections::HashMap<String, Arc<tokio::sync::Mutex<()>>>>>,
}

impl AppState {
    /// The state of a server over `governance` and its `workspaces`.
    pub fn new(governance: Governance, workspaces: Workspaces) -> Self {
        Self {
            governance,
            limiter: Arc::default(),
            workspaces,
            register: Arc::default(),
            figures: Arc::default(),
            computing: Arc::default(),
        }
    }

    /// The public register, from memory when read less than [`REGISTER_SECONDS`] ago.
    pub async fn register(&self) -> Result<Register, ApiError> {
        if let Some((at, register)) = self.register.read().unwrap_or_else(std::sync::PoisonError::into_inner).as_ref()
            && at.elapsed() < Duration::from_secs(REGISTER_SECONDS)
        {
            return Ok(register.clone());
        }
        let register = self.governance.register().await?;
        *self.register.write().unwrap_or_else(std::sync::PoisonError::into_inner) =
            Some((Instant::now(), register.clone()));
        Ok(register)
    }

    /// Queues a build of the application's workspace when it is approved with a permit (the
    /// builder skips a workspace that holds the permit's version already).
    pub fn build_if_granted(&self, application: &oncodata_governance::Application) {
        if application.state == oncodata_governance::State::Approved && application.permit.is_some() {
            self.workspaces.schedule(application.id);
        }
    }

    /// The folder of project `id`'s workspace, when `user` may query it now (a member named by
    /// the permit in force) and it is built; why not otherwise. The one check of the SQL,
    /// export and Flight SQL paths.
    pub async fn ready_workspace(&self, user: &oncodata_governance::User, id: i64) -> Result<PathBuf, ApiError> {
        self.governance.workspace_permit(user, id).await?;
        let built = self.governance.workspace(id).await?;
        if !built.is_some_and(|w| w.state == oncodata_governance::workspaces::Build::Ready) {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "wrong_state",
                format!(
                    "project {id}'s workspace is not ready (being built, or its build failed: GET /api/projects/{id} says which)"
                ),
            ));
        }
        Ok(self.workspaces.folder(id))
    }

    /// A published figure, if computed on the warehouse's latest snapshot (whose number is read
    /// at most once a second; a new one empties the memory).
    pub fn figure(&self, key: &str) -> Option<routes::figures::Published> {
        {
            let figures = self.figures.read().unwrap_or_else(std::sync::PoisonError::into_inner);
            if figures.checked.is_some_and(|at| at.elapsed() < Duration::from_secs(1)) {
                return figures.entries.get(key).map(|(_, f)| f.clone());
            }
        }
        let latest = oncodata_warehouse::snapshots::latest_id(&self.workspaces.warehouse).unwrap_or(u64::MAX);
        let mut figures = self.figures.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        if figures.snapshot != latest {
            figures.entries.clear();
            figures.snapshot = latest;
        }
        figures.checked = Some(Instant::now());
        figures.entries.get(key).map(|(_, f)| f.clone())
    }

    /// The published figure `key`: from memory, or computed by `compute` once however many
    /// callers ask for it at the same time, then kept.
    pub async fn published<F, Fut>(&self, key: &str, compute: F) -> Result<routes::figures::Published, ApiError>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<routes::figures::Published, ApiError>>,
    {
        if let Some(found) = self.figure(key) {
            return Ok(found);
        }
        let gate = {
            let mut gates = self.computing.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            gates.entry(key.to_string()).or_default().clone()
        };
        let computed = {
            let _turn = gate.lock().await;
            match self.figure(key) {
                Some(found) => Ok(found),
                None => compute().await.inspect(|p| self.keep_figure(key.to_string(), p.clone())),
            }
        };
        drop(gate);
        let mut gates = self.computing.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if gates.get(key).is_some_and(|g| Arc::strong_count(g) == 1) {
            gates.remove(key);
        }
        computed
    }

    /// Keeps a published figure in memory (at most [`MAX_FIGURES`], the oldest leaving first).
    pub fn keep_figure(&self, key: String, figure: routes::figures::Published) {
        let mut figures = self.figures.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        if figures.entries.len() >= MAX_FIGURES
            && let Some(oldest) = figures.entries.iter().min_by_key(|(_, (at, _))| *at).map(|(k, _)| k.clone())
        {
            figures.entries.remove(&oldest);
        }
        figures.entries.insert(key, (Instant::now(), figure));
    }

    /// Drops the register from memory (after a decision).
    pub fn forget_register(&self) {
        *self.register.write().unwrap_or_else(std::sync::PoisonError::into_inner) = None;
    }
}

/// Adds the two ways of signing requests to the description.
struct Security;

impl utoipa::Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                auth::SESSION_COOKIE,
                "The browser session from POST /api/session; changes also send X-CSRF-Token.",
            ))),
        );
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("A project's API token (odt_…), for that project's routes."))
                    .build(),
            ),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "oncodata", description = "The platform service: accounts, access requests, committee review, permits, project workspaces, the public register and the audit log."),
    modifiers(&Security),
    security(("session" = []), ("token" = [])),
    tags(
        (name = "public", description = "Open to anyone."),
        (name = "session", description = "Signing in and out."),
        (name = "applications", description = "Applications for access and the workflow."),
        (name = "review", description = "The committee's review."),
        (name = "projects", description = "Approved projects: permits and API tokens."),
        (name = "curation", description = "The data steward's quarantine, corrections and quality reports."),
        (name = "admin", description = "Accounts and the audit log."),
    )
)]
struct ApiDoc;

/// The routes and their description, from one list.
fn routes() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    use routes::{admin, applications, projects, public, session};
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(public::healthz))
        .routes(routes!(public::register))
        .routes(routes!(public::register_page))
        .routes(routes!(routes::figures::incidence))
        .routes(routes!(routes::figures::net_survival))
        .routes(routes!(routes::curation::quarantine))
        .routes(routes!(routes::curation::record))
        .routes(routes!(routes::curation::fix))
        .routes(routes!(routes::curation::quality))
        .routes(routes!(projects::saved_queries, projects::save_query))
        .routes(routes!(session::login, session::logout))
        .routes(routes!(session::me))
        .routes(routes!(applications::list, applications::create))
        .routes(routes!(applications::read, applications::update))
        .routes(routes!(applications::step))
        .routes(routes!(applications::conflict))
        .routes(routes!(applications::review))
        .routes(routes!(applications::decide))
        .routes(routes!(projects::permit))
        .routes(routes!(projects::sql))
        .routes(routes!(projects::export))
        .routes(routes!(projects::issue_token))
        .routes(routes!(projects::tokens))
        .routes(routes!(projects::revoke_token))
        .routes(routes!(admin::users, admin::add_user))
        .routes(routes!(admin::disable_user))
        .routes(routes!(admin::reset_password))
        .routes(routes!(admin::audit))
        .routes(routes!(admin::checkpoint))
        .split_for_parts()
}

/// The OpenAPI 3.1 description of the API.
pub fn openapi() -> utoipa::openapi::OpenApi {
    routes().1
}

/// The server's application: every route, `/api/openapi.json`, a JSON 404, and the limits
/// (1 MiB bodies, 30 s per request, gzip).
pub fn app(state: AppState) -> Router {
    let (router, api) = routes();
    let api = Arc::new(api);
    router
        .route("/api/openapi.json", axum::routing::get(move || async move { axum::Json(api.as_ref().clone()) }))
        .route("/", axum::routing::get(routes::pages::explorer_page))
        .route("/explorer/{file}", axum::routing::get(routes::pages::explorer_file))
        .route("/assets/{name}", axum::routing::get(routes::pages::asset))
        .route("/app", axum::routing::get(routes::pages::home_page))
        .route("/app/{name}", axum::routing::get(routes::pages::signed_in_page))
        .route("/app/{kind}/{id}", axum::routing::get(routes::pages::numbered_page))
        .fallback(|| async {
            ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such route: see /api/openapi.json for the API")
        })
        .with_state(state)
        .layer(axum::middleware::from_fn(read_body_first))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(1 << 20))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(30),
        ))
        .layer(tower_http::compression::CompressionLayer::new())
}

/// Reads a request's whole body (at most the 1 MiB limit) before the route runs, so that a
/// route refusing a request before it reads the body (a missing session, a wrong CSRF token)
/// never leaves unread bytes on a connection kept alive for the client's next request.
async fn read_body_first(request: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
    let (parts, body) = request.into_parts();
    match axum::body::to_bytes(body, 1 << 20).await {
        Ok(bytes) => next.run(axum::extract::Request::from_parts(parts, axum::body::Body::from(bytes))).await,
        Err(_) => axum::response::IntoResponse::into_response(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "invalid_request",
            "the request's body is over 1 MiB, or was cut short",
        )),
    }
}

/// How to start the server.
pub struct Config {
    /// The warehouse served.
    pub warehouse: PathBuf,
    /// The address to listen on (port 0: any free port).
    pub bind: SocketAddr,
    /// The address of Arrow Flight SQL (port 0: any free port).
    pub flight: SocketAddr,
    /// The governance store's URL (`sqlite://…` or `postgres://…`); `None`: the warehouse's
    /// `governance.db`.
    pub database: Option<String>,
    /// How often to sign a checkpoint of the audit log.
    pub checkpoint_every: Duration,
    /// The pseudonymisation key file (the projects' keys and pseudonym books).
    pub keys: PathBuf,
    /// TLS: the certificate chain and private key (PEM files); `None`: plain HTTP and gRPC
    /// (behind a TLS-terminating proxy, or on loopback).
    pub tls: Option<(PathBuf, PathBuf)>,
}

/// The address of a client, as the handlers see it (`ConnectInfo<ClientAddr>`), over TCP or TLS.
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub SocketAddr);

impl axum::extract::connect_info::Connected<axum::serve::IncomingStream<'_, tokio::net::TcpListener>> for ClientAddr {
    fn connect_info(stream: axum::serve::IncomingStream<'_, tokio::net::TcpListener>) -> Self {
        ClientAddr(*stream.remote_addr())
    }
}

impl axum::extract::connect_info::Connected<axum::serve::IncomingStream<'_, tls::TlsListener>> for ClientAddr {
    fn connect_info(stream: axum::serve::IncomingStream<'_, tls::TlsListener>) -> Self {
        ClientAddr(*stream.remote_addr())
    }
}

/// Why the server could not start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The governance store or audit log.
    #[error(transparent)]
    Governance(#[from] oncodata_governance::GovernanceError),
    /// The warehouse.
    #[error("{0}")]
    Warehouse(String),
    /// The TLS certificate or key.
    #[error("TLS: {0}")]
    Tls(String),
    /// The network.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// What the system said.
        source: std::io::Error,
    },
}

/// Opens the governance of a warehouse: its store (created on first use) and its audit log.
pub async fn governance(warehouse: &std::path::Path, database: Option<&str>) -> Result<Governance, ServerError> {
    let w = oncodata_warehouse::Warehouse::open(warehouse).map_err(|e| ServerError::Warehouse(e.to_string()))?;
    // An unlinked warehouse has no workspace to request columns of yet: the service runs, and
    // an application's form says what to do.
    let catalog = if w.tables().map_err(|e| ServerError::Warehouse(e.to_string()))?.iter().any(|t| t == "primaries") {
        let columns =
            oncodata_analyses::extract::catalog(&w).await.map_err(|e| ServerError::Warehouse(e.to_string()))?;
        let sources = oncodata_analyses::extract::SOURCE_COLUMNS.iter().map(|c| c.to_string()).collect();
        oncodata_governance::Catalog { columns, sources }
    } else {
        eprintln!(
            "oncodata: {} is not linked: applications can request no columns until `oncodata link --warehouse {}`",
            warehouse.display(),
            warehouse.display()
        );
        oncodata_governance::Catalog::default()
    };
    let url = database.map_or_else(|| oncodata_governance::default_url(warehouse), String::from);
    Ok(Governance::open(&url, &warehouse.join("audit"), catalog).await?)
}

/// Where a started server listens.
#[derive(Debug, Clone, Copy)]
pub struct Listening {
    /// HTTP.
    pub http: SocketAddr,
    /// Arrow Flight SQL (gRPC).
    pub flight: SocketAddr,
    /// Whether both are over TLS.
    pub tls: bool,
}

/// Runs the server until SIGINT or SIGTERM, then finishes the requests under way, signs a last
/// checkpoint and returns. `ready` is told where it listens.
pub fn serve(config: Config, ready: impl FnOnce(Listening)) -> Result<(), ServerError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|source| ServerError::Io { what: "starting the server's runtime".into(), source })?;
    runtime.block_on(async move {
        let governance = governance(&config.warehouse, config.database.as_deref()).await?;
        let listener = tokio::net::TcpListener::bind(config.bind)
            .await
            .map_err(|source| ServerError::Io { what: format!("listening on {}", config.bind), source })?;
        let address = listener
            .local_addr()
            .map_err(|source| ServerError::Io { what: "reading the listening address".into(), source })?;
        let flight_listener = tokio::net::TcpListener::bind(config.flight)
            .await
            .map_err(|source| ServerError::Io { what: format!("listening on {}", config.flight), source })?;
        let flight_address = flight_listener
            .local_addr()
            .map_err(|source| ServerError::Io { what: "reading the listening address".into(), source })?;
        let checkpoints = {
            let governance = governance.clone();
            tokio::spawn(async move {
                let mut every = tokio::time::interval(config.checkpoint_every);
                every.tick().await;
                loop {
                    every.tick().await;
                    if let Err(e) = governance.checkpoint().await {
                        eprintln!("oncodata serve: the audit checkpoint failed: {e}");
                    }
                }
            })
        };
        let workspaces = Workspaces::start(governance.clone(), config.warehouse.clone(), config.keys.clone()).await?;
        let state = AppState::new(governance.clone(), workspaces);
        // The explorer's first views, computed while the server starts answering.
        tokio::spawn({
            let state = state.clone();
            async move { state.warm().await }
        });
        // One signal stops both servers.
        let (stop, stopped) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            shutdown().await;
            let _ = stop.send(true);
        });
        let until = |mut stopped: tokio::sync::watch::Receiver<bool>| async move {
            let _ = stopped.wait_for(|s| *s).await;
        };
        let tls = match &config.tls {
            Some((cert, key)) => Some((
                tls::config(cert, key, &[b"http/1.1"]).map_err(ServerError::Tls)?,
                tls::config(cert, key, &[b"h2"]).map_err(ServerError::Tls)?,
            )),
            None => None,
        };
        ready(Listening { http: address, flight: flight_address, tls: tls.is_some() });
        let app = app(state.clone()).into_make_service_with_connect_info::<ClientAddr>();
        let served = match tls {
            Some((web, grpc)) => {
                let io = |source| ServerError::Io { what: "accepting TLS connections".into(), source };
                let flight_tls = tls::TlsListener::new(flight_listener, grpc).map_err(io)?;
                let incoming = futures::stream::unfold(flight_tls, |mut l| async move {
                    l.next().await.map(|t| (Ok::<_, std::io::Error>(t), l))
                });
                let flight = tokio::spawn(flight::serve(state, incoming, until(stopped.clone())));
                let web = tls::TlsListener::new(listener, web).map_err(io)?;
                let served = axum::serve(web, app).with_graceful_shutdown(until(stopped)).await;
                (served, flight.await)
            }
            None => {
                let flight = tokio::spawn(flight::serve(state, flight::tcp(flight_listener), until(stopped.clone())));
                let served = axum::serve(listener, app).with_graceful_shutdown(until(stopped)).await;
                (served, flight.await)
            }
        };
        served.0.map_err(|source| ServerError::Io { what: "serving".into(), source })?;
        if let Ok(Err(e)) = served.1 {
            eprintln!("oncodata serve: Arrow Flight SQL: {e}");
        }
        checkpoints.abort();
        governance.checkpoint().await?;
        Ok(())
    })
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM.
async fn shutdown() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
}
