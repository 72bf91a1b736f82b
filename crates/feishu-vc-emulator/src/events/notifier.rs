//! Event push: Feishu's schema 2.0 envelope (sealed and signed by `seal.rs`, §2 of the events
//! reference), the URL-verification challenge, and delivery to every callback with Feishu's retry
//! schedule, or to the long-connection hub, by the app's subscription mode. What happens in a meeting (and so
//! which event is pushed) is decided in `meetings/`; this module only carries events out.
//!
//! Each callback has its own delivery task, fed in order: an event is retried there (same
//! `event_id`) before the next one is sent, so a callback sees its events in order. Pending
//! deliveries live in memory only and do not survive a restart.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use feishu_vc_model::SecretString;
use feishu_vc_model::events::Event;
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::apps::SubscriptionMode;
use crate::config::EventSettings;
use crate::error::Error;
use crate::events::longconn::Hub;
use crate::events::seal::Sealed;

/// How long one delivery attempt may take before it counts as failed (Feishu: 3 s).
pub(crate) const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(3);

/// Feishu's retry schedule after a failed delivery: 15 s, 5 min, 1 h, 6 h (4 retries).
pub(crate) const RETRY_SCHEDULE: [Duration; 4] = [
    Duration::from_secs(15),
    Duration::from_secs(5 * 60),
    Duration::from_secs(60 * 60),
    Duration::from_secs(6 * 60 * 60),
];

/// One event ready to go: its envelope as JSON text (the same on every attempt).
#[derive(Clone, Debug)]
struct Delivery {
    event_id: String,
    event_type: String,
    plaintext: String,
}

/// How bodies are sealed and sent; shared by the delivery tasks.
#[derive(Debug)]
struct Sender {
    client: reqwest::Client,
    encrypt_key: Option<SecretString>,
    retry_scale: f64,
}

/// The push side of the emulator: the callbacks and their delivery tasks.
#[derive(Debug)]
pub(crate) struct Notifier {
    sender: Arc<Sender>,
    verification_token: Option<SecretString>,
    callbacks: Mutex<Vec<Callback>>,
    /// Each app's events go to the callbacks or to its long connections, by its mode.
    settings: EventSettings,
    long_connections: Arc<Hub>,
}

#[derive(Debug)]
struct Callback {
    url: String,
    queue: mpsc::UnboundedSender<Delivery>,
    task: JoinHandle<()>,
}

impl Drop for Notifier {
    fn drop(&mut self) {
        self.stop();
    }
}

impl Notifier {
    /// A notifier with no callbacks yet.
    pub(crate) fn new(settings: &EventSettings) -> Result<Self, Error> {
        // reqwest may be built with rustls and no provider of its own (see feishu-vc-transport).
        feishu_vc_transport::install_rustls_provider();
        let client = reqwest::Client::builder()
            .timeout(ATTEMPT_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| Error::Config(format!("event delivery client: {e}")))?;
        Ok(Self {
            sender: Arc::new(Sender {
                client,
                encrypt_key: settings.encrypt_key.clone(),
                retry_scale: settings.retry_scale,
            }),
            verification_token: settings.verification_token.clone(),
            callbacks: Mutex::new(Vec::new()),
            settings: settings.clone(),
            long_connections: Hub::start(settings.long_connection.clone()),
        })
    }

    /// Sends the URL-verification challenge to `url` and, once it is echoed back, delivers every
    /// later event there too. A URL already registered is left as it is.
    pub(crate) async fn register(&self, url: &str) -> Result<(), Error> {
        let parsed = reqwest::Url::parse(url)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https"))
            .ok_or_else(|| {
                Error::BadRequest(format!("event callback `{url}` is not an http(s) URL"))
            })?;
        if self.callbacks().iter().any(|u| u == url) {
            return Ok(());
        }
        let challenge = crate::ids::token("");
        let mut body = json!({"challenge": challenge, "type": "url_verification"});
        if let Some(token) = &self.verification_token {
            body["token"] = Value::String(token.expose_secret().to_owned());
        }
        let rejected = |reason: String| Error::CallbackRejected {
            url: url.to_owned(),
            reason,
        };
        let response = self
            .sender
            .post(parsed.as_str(), &body.to_string())
            .await
            .map_err(|e| rejected(format!("the challenge could not be delivered: {e}")))?;
        let status = response.status();
        if status != reqwest::StatusCode::OK {
            return Err(rejected(format!(
                "the challenge was answered HTTP {status}"
            )));
        }
        let echoed = response
            .bytes()
            .await
            .ok()
            .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
            .and_then(|v| {
                v.get("challenge")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            });
        if echoed.as_deref() != Some(challenge.as_str()) {
            return Err(rejected(
                "the answer did not echo the challenge as {\"challenge\": …}".to_owned(),
            ));
        }
        let (queue, deliveries) = mpsc::unbounded_channel();
        let task = tokio::spawn(deliver(self.sender.clone(), url.to_owned(), deliveries));
        let mut callbacks = self
            .callbacks
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        callbacks.push(Callback {
            url: url.to_owned(),
            queue,
            task,
        });
        Ok(())
    }

    /// The registered callback URLs, in order of registration.
    pub(crate) fn callbacks(&self) -> Vec<String> {
        self.callbacks
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .iter()
            .map(|c| c.url.clone())
            .collect()
    }

    /// Queues `event` in Feishu's envelope for every callback or for the app's long connections,
    /// as the app's [`SubscriptionMode`] says. Never blocks: call it while the change that caused
    /// it is being made, so that events keep the order of the changes.
    pub(crate) fn push(&self, event: &Event, app_id: &str, tenant_key: &str, now_ms: i64) {
        let callbacks = self
            .callbacks
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let event_id = crate::ids::token("");
        let mut header = json!({
            "event_id": event_id,
            "event_type": event.event_type(),
            "create_time": now_ms.to_string(),
            "app_id": app_id,
            "tenant_key": tenant_key,
        });
        if let Some(token) = &self.verification_token {
            header["token"] = Value::String(token.expose_secret().to_owned());
        }
        let envelope = json!({"schema": "2.0", "header": header, "event": event.to_json()});
        let delivery = Delivery {
            event_id,
            event_type: event.event_type().to_owned(),
            plaintext: envelope.to_string(),
        };
        match self.settings.subscription(app_id, !callbacks.is_empty()) {
            SubscriptionMode::LongConnection => {
                self.long_connections
                    .push(app_id, &delivery.event_id, &delivery.plaintext);
            }
            SubscriptionMode::Webhook => {
                for callback in callbacks.iter() {
                    let _ = callback.queue.send(delivery.clone());
                }
            }
        }
    }

    /// Queues a schema 1.0 event (`uuid`, `token`, `ts`, `type`, `event`) for every webhook
    /// callback: the store apps' `app_ticket`. The long connection is for self-built apps only.
    pub(crate) fn push_v1(&self, event: Value) {
        let callbacks = self
            .callbacks
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let uuid = crate::ids::token("");
        let ts = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs_f64();
        let mut envelope = json!({
            "uuid": uuid,
            "ts": format!("{ts:.7}"),
            "type": "event_callback",
            "event": event,
        });
        if let Some(token) = &self.verification_token {
            envelope["token"] = Value::String(token.expose_secret().to_owned());
        }
        let delivery = Delivery {
            event_id: uuid,
            event_type: event_type_of(&envelope),
            plaintext: envelope.to_string(),
        };
        for callback in callbacks.iter() {
            let _ = callback.queue.send(delivery.clone());
        }
    }

    /// The long-connection server.
    pub(crate) fn long_connections(&self) -> Arc<Hub> {
        self.long_connections.clone()
    }

    /// Stops every delivery task; what was not delivered yet is dropped.
    pub(crate) fn stop(&self) {
        let callbacks = self
            .callbacks
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for callback in callbacks.iter() {
            callback.task.abort();
        }
        self.long_connections.stop();
    }
}

fn event_type_of(envelope: &Value) -> String {
    envelope["event"]["type"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// The delivery task of one callback: each event in turn, retried on Feishu's schedule.
async fn deliver(
    sender: Arc<Sender>,
    url: String,
    mut deliveries: mpsc::UnboundedReceiver<Delivery>,
) {
    while let Some(delivery) = deliveries.recv().await {
        let waits = std::iter::once(Duration::ZERO)
            .chain(RETRY_SCHEDULE.iter().map(|d| d.mul_f64(sender.retry_scale)));
        for (attempt, wait) in waits.enumerate() {
            tokio::time::sleep(wait).await;
            let outcome = sender.post(&url, &delivery.plaintext).await;
            let failure = match outcome {
                Ok(r) if r.status() == reqwest::StatusCode::OK => None,
                Ok(r) => Some(format!("HTTP {}", r.status())),
                Err(e) => Some(e.to_string()),
            };
            match failure {
                None => {
                    tracing::debug!(
                        url,
                        event_id = delivery.event_id,
                        event_type = delivery.event_type,
                        attempt,
                        "event delivered"
                    );
                    break;
                }
                Some(why) => {
                    tracing::info!(
                        url,
                        event_id = delivery.event_id,
                        event_type = delivery.event_type,
                        attempt,
                        why,
                        "event delivery failed"
                    );
                }
            }
        }
    }
}

impl Sender {
    /// One attempt: the body sealed (with a key) and signed, posted as JSON.
    async fn post(&self, url: &str, plaintext: &str) -> Result<reqwest::Response, reqwest::Error> {
        let sealed = match &self.encrypt_key {
            Some(key) => Sealed::seal(key.expose_secret(), plaintext),
            None => Sealed::plain(plaintext),
        };
        let mut request = self
            .client
            .post(url)
            .header("Content-Type", "application/json; charset=utf-8");
        for (name, value) in &sealed.headers {
            request = request.header(*name, value);
        }
        request.body(sealed.body).send().await
    }
}
