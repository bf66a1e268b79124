//! Quickstart: a whole payment against the embedded local gateway emulator, no credentials.
//!
//! `cargo run --example quickstart` starts the emulator on a loopback port, builds a client
//! with the emulator's throwaway keys, then: creates a trade (precreate, QR code), lets the
//! buyer pay, queries it, refunds part of it and queries the refund's effect. Every step is
//! printed. Pass `v2` as the first argument to use the classic gateway instead of v3.

use alipay_emulator::{test_keys, Emulator};
use alipay_sdk::alipay_trade::{
    AlipayTradePrecreateRequest, AlipayTradeQueryRequest, AlipayTradeRefundRequest,
};
use alipay_sdk::{CallOptions, Client, Protocol};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let protocol = match std::env::args().nth(1).as_deref() {
        Some("v2") => Protocol::V2,
        _ => Protocol::V3,
    };

    let emulator = Emulator::builder().start().await?;
    println!("emulator      listening on {}", emulator.base_url());

    // In production: your app id, your app private key, Alipay's public key, Endpoint::Production.
    let client = Client::builder()
        .app_id(test_keys::APP_ID)
        .private_key(test_keys::APP_PRIVATE_KEY)
        .alipay_public_key(test_keys::ALIPAY_PUBLIC_KEY)
        .endpoint(alipay_sdk::runtime::Endpoint::custom(
            emulator.gateway_url(),
            emulator.base_url(),
        ))
        .protocol(protocol)
        .build()?;
    println!("client        protocol {protocol:?}");

    let out_trade_no = "QUICKSTART-0001";
    let created = client
        .call(&AlipayTradePrecreateRequest::new(
            out_trade_no,
            "Quickstart order",
            "88.88",
        ))
        .await?;
    println!(
        "precreate     {} -> qr_code {}",
        created.out_trade_no, created.qr_code
    );

    let paid = emulator.pay_trade(out_trade_no, None)?;
    println!(
        "buyer pays    {}",
        paid["trade_status"].as_str().unwrap_or("?")
    );

    let query = AlipayTradeQueryRequest::new().out_trade_no(out_trade_no);
    let trade = client.call(&query).await?;
    println!(
        "query         trade_no {} status {} total {}",
        trade.trade_no,
        trade.trade_status.as_str(),
        trade.total_amount
    );

    let refund = AlipayTradeRefundRequest::new("20.00")
        .out_trade_no(out_trade_no)
        .out_request_no("QUICKSTART-REFUND-1");
    let refunded = client.call_with(&refund, &CallOptions::new()).await?.data;
    println!(
        "refund 20.00  fund_change {} refund_fee {}",
        refunded.fund_change.as_str(),
        refunded.refund_fee
    );

    // The same out_request_no again is idempotent: no second refund.
    let again = client.call(&refund).await?;
    println!("refund again  refund_fee {} (idempotent)", again.refund_fee);

    let after = client.call(&query).await?;
    println!("query         status {}", after.trade_status.as_str());
    println!("done");
    Ok(())
}
