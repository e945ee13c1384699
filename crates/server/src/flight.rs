//! Arrow Flight SQL on a project's workspace, for R (`adbcflightsql`, `arrow`) and Python
//! (`adbc_driver_flightsql`, `pyarrow`): a client sends its project's API token as
//! `authorization: Bearer odt_…` on every call; a statement (`CommandStatementQuery`) runs
//! read-only on the token's workspace as `POST /api/projects/{id}/sql` runs it, and is in the
//! audit log, with the SHA-256 of its result, before the result is streamed.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use arrow_flight::encode::FlightDataEncoderBuilder;
use arrow_flight::flight_service_server::FlightService;
use arrow_flight::sql::server::FlightSqlService;
use arrow_flight::sql::{CommandStatementQuery, ProstMessageExt, SqlInfo, TicketStatementQuery};
use arrow_flight::{FlightDescriptor, FlightEndpoint, FlightInfo, Ticket};
use futures::TryStreamExt;
use oncodata_governance::User;
use oncodata_warehouse::QueryResult;
use prost::Message;
use tonic::metadata::MetadataMap;
use tonic::{Request, Response, Status};

use crate::AppState;

/// How long a statement's result waits to be fetched.
const RESULT_SECONDS: u64 = 300;

/// A result waiting for its `DoGet`.
struct Pending {
    user: String,
    project: i64,
    statement: String,
    result: QueryResult,
    made: Instant,
}

/// The Flight SQL service of the platform.
#[derive(Clone)]
pub struct FlightSql {
    state: AppState,
    pending: Arc<Mutex<HashMap<String, Pending>>>,
}

impl FlightSql {
    /// The service over the server's state.
    pub fn new(state: AppState) -> Self {
        Self { state, pending: Arc::default() }
    }

    /// The caller's account, project and workspace folder, from the bearer token of the call;
    /// refused unless the account may use the project's workspace now and it is built.
    async fn authorize(&self, metadata: &MetadataMap) -> Result<(User, i64, std::path::PathBuf), Status> {
        let token = metadata
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or_else(|| {
                Status::unauthenticated(
                    "send the project's API token: authorization: Bearer odt_… (adbc.flight.sql.authorization_header)",
                )
            })?;
        let governance = &self.state.governance;
        let (user, project) =
            governance.token(token.trim()).await.map_err(|e| Status::unauthenticated(e.to_string()))?;
        let folder = self.state.ready_workspace(&user, project).await.map_err(|e| match e.code {
            "forbidden" => Status::permission_denied(e.message),
            "wrong_state" => Status::failed_precondition(e.message),
            _ => Status::unavailable(e.message),
        })?;
        Ok((user, project, folder))
    }

    fn handle() -> String {
        let mut bytes = [0u8; 16];
        getrandom::fill(&mut bytes).expect("the operating system's random source");
        hex::encode(bytes)
    }
}

type Stream<T> = Pin<Box<dyn futures::Stream<Item = Result<T, Status>> + Send + 'static>>;

#[tonic::async_trait]
impl FlightSqlService for FlightSql {
    type FlightService = FlightSql;

    async fn get_flight_info_statement(
        &self,
        query: CommandStatementQuery,
        request: Request<FlightDescriptor>,
    ) -> Result<Response<FlightInfo>, Status> {
        let (user, project, folder) = self.authorize(request.metadata()).await?;
        let workspace = oncodata_warehouse::Warehouse::open(&folder).map_err(|e| Status::unavailable(e.to_string()))?;
        let result =
            workspace.query_user_async(&query.query).await.map_err(|e| Status::invalid_argument(e.to_string()))?;
        let handle = Self::handle();
        let ticket = TicketStatementQuery { statement_handle: handle.clone().into_bytes().into() };
        let info = FlightInfo::new()
            .try_with_schema(&result.schema())
            .map_err(|e| Status::internal(e.to_string()))?
            .with_endpoint(FlightEndpoint::new().with_ticket(Ticket::new(ticket.as_any().encode_to_vec())))
            .with_total_records(result.num_rows() as i64)
            .with_descriptor(request.into_inner());
        let mut pending = self.pending.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        pending.retain(|_, p| p.made.elapsed() < Duration::from_secs(RESULT_SECONDS));
        pending
            .insert(handle, Pending { user: user.name, project, statement: query.query, result, made: Instant::now() });
        Ok(Response::new(info))
    }

    async fn do_get_statement(
        &self,
        ticket: TicketStatementQuery,
        request: Request<Ticket>,
    ) -> Result<Response<<Self as FlightService>::DoGetStream>, Status> {
        let (user, project, _) = self.authorize(request.metadata()).await?;
        let handle = String::from_utf8_lossy(&ticket.statement_handle).to_string();
        let taken = self.pending.lock().unwrap_or_else(std::sync::PoisonError::into_inner).remove(&handle);
        let pending = taken.filter(|p| p.user == user.name && p.project == project).ok_or_else(|| {
            Status::not_found("no such result (fetched already, expired, or another's): run the statement again")
        })?;
        let ipc = pending.result.to_arrow_ipc().map_err(|e| Status::internal(e.to_string()))?;
        use sha2::Digest;
        self.state
            .governance
            .record(
                &user.name,
                "sql",
                serde_json::json!({
                    "project": project,
                    "statement": pending.statement,
                    "rows": pending.result.num_rows(),
                    "protocol": "flight-sql",
                    "result_sha256": hex::encode(sha2::Sha256::digest(&ipc)),
                }),
            )
            .await
            .map_err(|e| Status::unavailable(e.to_string()))?;
        let batches: Vec<_> = pending.result.batches().iter().cloned().map(Ok).collect();
        let stream = FlightDataEncoderBuilder::new()
            .with_schema(pending.result.schema())
            .build(futures::stream::iter(batches))
            .map_err(|e| Status::internal(e.to_string()));
        Ok(Response::new(Box::pin(stream) as Stream<_>))
    }

    async fn register_sql_info(&self, _id: i32, _result: &SqlInfo) {}
}

/// Serves Flight SQL on the connections of `incoming` until `shutdown` resolves.
pub async fn serve<IO>(
    state: AppState,
    incoming: impl futures::Stream<Item = Result<IO, std::io::Error>> + Send + 'static,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), tonic::transport::Error>
where
    IO: tonic::transport::server::Connected + tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    tonic::transport::Server::builder()
        .add_service(arrow_flight::flight_service_server::FlightServiceServer::new(FlightSql::new(state)))
        .serve_with_incoming_shutdown(incoming, shutdown)
        .await
}

/// The connections a TCP listener accepts, as [`serve`] takes them.
pub fn tcp(
    listener: tokio::net::TcpListener,
) -> impl futures::Stream<Item = Result<tokio::net::TcpStream, std::io::Error>> + Send + 'static {
    futures::stream::unfold(listener, |listener| async move {
        let accepted = listener.accept().await.map(|(stream, _)| stream);
        Some((accepted, listener))
    })
}
