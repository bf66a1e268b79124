//! Checkout and notifications: a merchant web server (axum) and the embedded emulator playing
//! Alipay, the buyer's browser and the buyer's Alipay app. No credentials, no network.
//!
//! `cargo run -p alipay-examples --example checkout`:
//! 1. the merchant builds a page pay request as a GET URL and as an auto-submitting form;
//! 2. the "browser" opens the URL at the emulator's cashier and pays;
//! 3. Alipay sends the buyer back to `return_url` (verified, but not proof of payment) and
//!    POSTs the asynchronous notification to `notify_url`, which the merchant verifies with
//!    the `VerifiedNotification` extractor and acknowledges with `success`;
//! 4. the same for an app pay order string, handed to the "Alipay app";
//! 5. a forged notification is refused.

use alipay_emulator::{test_keys, Emulator};
use alipay_runtime::axum::{Ack, VerifiedNotification};
use alipay_runtime::notify::{amount_in_fen, SeenNotifyIds, TradeNotification};
use alipay_sdk::alipay_trade::{AlipayTradeAppPayRequest, AlipayTradePagePayRequest};
use alipay_sdk::runtime::Endpoint;
use alipay_sdk::{CallOptions, Client};
use axum::extract::{FromRef, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The merchant's web application state.
#[derive(Clone)]
struct Shop {
    client: Client,
    seen: Arc<SeenNotifyIds>,
    paid: Arc<Mutex<Vec<TradeNotification>>>,
}

impl FromRef<Shop> for Client {
    fn from_ref(shop: &Shop) -> Client {
        shop.client.clone()
    }
}

/// `notify_url`: the extractor has verified the signature, the charset and the app id.
async fn notify(State(shop): State<Shop>, VerifiedNotification(n): VerifiedNotification) -> Ack {
    if n.first_delivery(&shop.seen) && n.trade_status.as_ref().is_some_and(|s| s.is_paid()) {
        // A real shop compares out_trade_no, total_amount and seller_id with its order here,
        // then marks the order paid in its database.
        shop.paid.lock().unwrap_or_else(|e| e.into_inner()).push(n);
    }
    Ack
}

/// `return_url`: the buyer's browser is back. Verified, but only a page is shown: the order
/// is paid when the notification (or `alipay.trade.query`) says so.
async fn back(State(shop): State<Shop>, RawQuery(query): RawQuery) -> Response {
    match shop
        .client
        .verify_return_url(query.as_deref().unwrap_or(""))
    {
        Ok(p) => Html(format!(
            "<p>Thank you: order {} is being confirmed.</p>",
            p.get("out_trade_no").unwrap_or("?")
        ))
        .into_response(),
        Err(e) => (StatusCode::BAD_REQUEST, e.to_string()).into_response(),
    }
}

async fn wait_for_paid(shop: &Shop, count: usize) -> Result<TradeNotification, String> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(n) = shop
            .paid
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(count - 1)
        {
            return Ok(n.clone());
        }
        if Instant::now() > deadline {
            return Err("no notification arrived".into());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn show(label: &str, n: &TradeNotification) {
    println!(
        "{label:<14}notify_id {} out_trade_no {} trade_status {} total_amount {} ({} fen) app_id {}",
        n.notify_id,
        n.out_trade_no.as_deref().unwrap_or("?"),
        n.trade_status.as_ref().map_or("?", |s| s.as_str()),
        n.total_amount.as_deref().unwrap_or("?"),
        n.total_amount
            .as_deref()
            .and_then(amount_in_fen)
            .unwrap_or_default(),
        n.app_id
    );
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let emulator = Emulator::builder()
        .notify_retry_delays(vec![Duration::ZERO, Duration::from_millis(200)])
        .start()
        .await?;
    println!("emulator      {}", emulator.base_url());

    // In production: your app id and private key, Alipay's public key, Endpoint::Production.
    let client = Client::builder()
        .app_id(test_keys::APP_ID)
        .private_key(test_keys::APP_PRIVATE_KEY)
        .alipay_public_key(test_keys::ALIPAY_PUBLIC_KEY)
        .endpoint(Endpoint::custom(
            emulator.gateway_url(),
            emulator.base_url(),
        ))
        .build()?;

    // The merchant's server: notify_url and return_url.
    let shop = Shop {
        client: client.clone(),
        seen: Arc::new(SeenNotifyIds::new(10_000)),
        paid: Arc::default(),
    };
    let app = axum::Router::new()
        .route("/alipay/notify", axum::routing::post(notify))
        .route("/alipay/return", axum::routing::get(back))
        .with_state(shop.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, app).await });
    let notify_only = CallOptions::new().notify_url(format!("{base}/alipay/notify"));
    let options = notify_only
        .clone()
        .return_url(format!("{base}/alipay/return"));
    println!("merchant      {base} (notify_url /alipay/notify, return_url /alipay/return)");

    // 1. Page pay: a redirect URL, or an auto-submitting form for the page.
    let order = AlipayTradePagePayRequest::new(
        "CHECKOUT-PAGE-1",
        "FAST_INSTANT_TRADE_PAY",
        "Desk lamp",
        "88.88",
    );
    let url = client.page_pay_url(&order, &options)?;
    let form = client.page_pay_form(&order, &options)?;
    println!("page pay URL  {}…", &url[..url.len().min(100)]);
    println!(
        "page pay form {} bytes of HTML: {}…",
        form.len(),
        &form[..form.len().min(86)]
    );

    // 2. The buyer's browser opens the URL and pays at the cashier.
    let browser = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let cashier = browser.get(&url).send().await?;
    println!(
        "browser       GET gateway -> cashier page, HTTP {}",
        cashier.status()
    );
    let pay = browser
        .post(format!(
            "{}/__emulator/cashier/CHECKOUT-PAGE-1/pay",
            emulator.base_url()
        ))
        .send()
        .await?;
    let location = pay
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    println!(
        "browser       pays -> HTTP {}, back to return_url",
        pay.status()
    );

    // 3. The return page (not proof of payment) and the notification (proof).
    let page = browser.get(&location).send().await?;
    println!(
        "return_url    HTTP {}: {}",
        page.status(),
        page.text().await?
    );
    let n = wait_for_paid(&shop, 1).await?;
    show("notify_url", &n);

    // 4. App pay: the order string goes to the Alipay app (here: the emulator's stand-in).
    let app_order = AlipayTradeAppPayRequest::new("CHECKOUT-APP-1", "Coffee beans", "9.00")
        .product_code("QUICK_MSECURITY_PAY");
    let order_string = client.app_pay_order_string(&app_order, &notify_only)?;
    println!(
        "app pay       order string {}…",
        &order_string[..order_string.len().min(100)]
    );
    let result: serde_json::Value = serde_json::from_str(
        &browser
            .post(format!("{}/__emulator/app-pay", emulator.base_url()))
            .body(order_string)
            .send()
            .await?
            .text()
            .await?,
    )?;
    println!(
        "alipay app    pays -> resultStatus {}",
        result["resultStatus"].as_str().unwrap_or("?")
    );
    let n = wait_for_paid(&shop, 2).await?;
    show("notify_url", &n);

    // 5. A forged notification: the genuine body with another amount.
    let genuine = emulator
        .notifications()
        .first()
        .map(|d| d.body.clone())
        .unwrap_or_default();
    let forged = browser
        .post(format!("{base}/alipay/notify"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(genuine.replace("total_amount=88.88", "total_amount=0.01"))
        .send()
        .await?;
    println!(
        "forged        HTTP {}: {}",
        forged.status(),
        forged.text().await?
    );

    for d in emulator.notifications() {
        println!(
            "delivery      {} acknowledged {} after {} attempt(s)",
            d.notify_id, d.acknowledged, d.attempts
        );
    }
    println!("done");
    Ok(())
}
