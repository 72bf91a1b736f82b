//! The public calls: a typed request of the model ([`Transport::send`],
//! [`Transport::send_carrying`]) or a raw one ([`Transport::raw`]), each made into a `Spec`
//! and sent through the call loop, its answer decoded.

use bytes::Bytes;
use feishu_vc_model::{ApiRequest, ApiResponse, SecretString};
use serde::de::DeserializeOwned;

use crate::call::execute::{Auth, Spec};
use crate::call::{CallOptions, RawRequest, Response};
use crate::client::Transport;
use crate::error::{Error, InvalidRequest, Result};

impl Transport {
    /// Sends a typed request of the model and returns its `data`.
    ///
    /// The request is not validated here (the `feishu-vc` facade does that, knowing the token
    /// kind); it is built with [`ApiRequest::to_http`] and sent through the same pipeline as
    /// [`Transport::raw`].
    pub async fn send<R, D>(&self, request: &R, opts: &CallOptions) -> Result<Response<D>>
    where
        R: ApiRequest<Response = ApiResponse<D>>,
        D: DeserializeOwned + Default,
    {
        self.send_carrying(request, opts, None).await
    }

    /// [`Transport::send`] for a request that carries a secret of its own (a meeting password):
    /// `carried` is scrubbed from whatever the call shows, like a secret added with
    /// [`CallOptions::with_secret`], without copying it into the options.
    pub async fn send_carrying<R, D>(
        &self,
        request: &R,
        opts: &CallOptions,
        carried: Option<&SecretString>,
    ) -> Result<Response<D>>
    where
        R: ApiRequest<Response = ApiResponse<D>>,
        D: DeserializeOwned + Default,
    {
        let operation = R::OPERATION;
        let refused = self
            .token_kind(opts)
            .is_some_and(|kind| !operation.token_kinds.is_empty() && !operation.accepts(kind));
        if refused {
            return Err(Error::InvalidRequest(InvalidRequest::TokenNotAccepted {
                operation: operation.id,
            }));
        }
        let http = request.to_http()?;
        let idempotent = http.method != feishu_vc_model::Method::Post;
        let query: Vec<(&str, &str)> = http.query.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let fixed = query.is_empty() && http.path == operation.path_template;
        let answer = self
            .execute(Spec {
                operation: operation.id,
                method: http.method,
                path: &http.path,
                fixed,
                query: &query,
                body: http.body.map(Bytes::from),
                idempotent,
                auth: Auth::For(opts),
                timeout: opts.timeout,
                on: None,
                oauth: false,
                carried,
            })
            .await?;
        let envelope: ApiResponse<D> = match self.decode(&answer, &opts.secrets, carried) {
            Ok(envelope) => envelope,
            // The call succeeded (code 0) but its result cannot be read: for a booking, the caller
            // does not learn the reservation's id and must look before booking again.
            Err(e) if !idempotent => return Err(Error::OutcomeUnknown(Box::new(e))),
            Err(e) => return Err(e),
        };
        Ok(Response {
            data: envelope.data.unwrap_or_default(),
            log_id: answer.log_id,
            http_status: answer.http_status,
            warnings: Vec::new(),
        })
    }

    /// Sends any Open Platform request and returns its `data` (JSON `null` when absent).
    pub async fn raw(
        &self,
        request: RawRequest,
        opts: &CallOptions,
    ) -> Result<Response<serde_json::Value>> {
        if !request.path.starts_with("/open-apis/") {
            return Err(Error::InvalidRequest(InvalidRequest::Path {
                reason: "a raw path must start with /open-apis/",
            }));
        }
        let query: Vec<(&str, &str)> = request
            .query
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let answer = self
            .execute(Spec {
                operation: "raw",
                method: request.method,
                path: &request.path,
                fixed: false,
                query: &query,
                body: request.body,
                idempotent: request.idempotent,
                auth: Auth::For(opts),
                timeout: opts.timeout,
                on: None,
                oauth: false,
                carried: None,
            })
            .await?;
        let envelope: ApiResponse<serde_json::Value> = self.decode(&answer, &opts.secrets, None)?;
        Ok(Response {
            data: envelope.data.unwrap_or_default(),
            log_id: answer.log_id,
            http_status: answer.http_status,
            warnings: Vec::new(),
        })
    }
}
