//! Shared by the notification tests: a client of the emulator with its throwaway keys.

use alipay_emulator::{test_keys, Emulator};
use alipay_sdk::runtime::Endpoint;
use alipay_sdk::{Client, Protocol};

/// A client of `emulator` (its built-in app and Alipay keys), on `protocol` by default.
pub fn emulator_client(emulator: &Emulator, protocol: Protocol) -> Client {
    Client::builder()
        .app_id(test_keys::APP_ID)
        .private_key(test_keys::APP_PRIVATE_KEY)
        .alipay_public_key(test_keys::ALIPAY_PUBLIC_KEY)
        .endpoint(Endpoint::custom(
            emulator.gateway_url(),
            emulator.base_url(),
        ))
        .protocol(protocol)
        .build()
        .unwrap()
}
