//! `alipay-emulator`: the local Alipay gateway as a program.
//!
//! ```text
//! cargo run -p alipay-emulator -- --port 0
//! listening on http://127.0.0.1:38211
//! ```

use alipay_emulator::{test_keys, Emulator};
use std::io::Write as _;
use std::process::ExitCode;
use std::time::Duration;

const USAGE: &str = "\
usage: alipay-emulator [options]

  --port <n>                  port on 127.0.0.1 (default 0: an ephemeral port)
  --host <ip>                 listen address (default 127.0.0.1)
  --app-id <id>               app id requests must carry (default 2021000000000001)
  --app-public-key <file>     app public key (SPKI PEM or bare base64) to verify requests
  --app-cert <file>           app certificate: certificate mode
  --alipay-private-key <file> the emulator's own \"Alipay\" private key
  --alipay-cert <file>        the emulator's \"Alipay\" certificate chain: certificate mode
  --cert-mode                 certificate mode with the built-in test certificates
  --aes-key <base64>          AES content-encryption key
  --test-aes-key              use the built-in test AES key
  --app-auth-token <token>    accept only this app_auth_token (repeatable; default: any)
  --timestamp-tolerance <s>   accepted request clock skew in seconds (default 600)
  --specs <dir>               serve these specs instead of the embedded ones
  -h, --help                  this text

With no key options it uses built-in throwaway test keys (never use them outside tests).";

fn read(path: &str) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))
}

fn parse(args: Vec<String>) -> Result<(alipay_emulator::EmulatorBuilder, bool), String> {
    let mut b = Emulator::builder();
    let mut host = String::from("127.0.0.1");
    let mut port: u16 = 0;
    let mut custom_keys = false;
    let mut tokens = Vec::new();
    let mut it = args.into_iter();
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().ok_or_else(|| format!("{name} needs a value"));
        match arg.as_str() {
            "-h" | "--help" => return Err(String::new()),
            "--port" => {
                port = value("--port")?
                    .parse()
                    .map_err(|_| "--port takes a number 0-65535".to_owned())?
            }
            "--host" => host = value("--host")?,
            "--app-id" => b = b.app_id(value("--app-id")?),
            "--app-public-key" => {
                b = b.app_public_key(read(&value("--app-public-key")?)?);
                custom_keys = true;
            }
            "--app-cert" => {
                b = b.app_cert(read(&value("--app-cert")?)?);
                custom_keys = true;
            }
            "--alipay-private-key" => {
                b = b.alipay_private_key(read(&value("--alipay-private-key")?)?);
                custom_keys = true;
            }
            "--alipay-cert" => {
                b = b.alipay_cert(read(&value("--alipay-cert")?)?);
                custom_keys = true;
            }
            "--cert-mode" => b = b.cert_mode(),
            "--aes-key" => b = b.aes_key(value("--aes-key")?),
            "--test-aes-key" => b = b.aes_key(test_keys::AES_KEY),
            "--app-auth-token" => tokens.push(value("--app-auth-token")?),
            "--timestamp-tolerance" => {
                let secs: u64 = value("--timestamp-tolerance")?
                    .parse()
                    .map_err(|_| "--timestamp-tolerance takes seconds".to_owned())?;
                b = b.timestamp_tolerance(Duration::from_secs(secs));
            }
            "--specs" => b = b.specs_dir(value("--specs")?),
            other => return Err(format!("unknown option {other}")),
        }
    }
    if !tokens.is_empty() {
        b = b.app_auth_tokens(tokens);
    }
    let ip: std::net::IpAddr = host
        .parse()
        .map_err(|_| format!("--host {host} is not an IP address"))?;
    Ok((b.addr(std::net::SocketAddr::new(ip, port)), custom_keys))
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> ExitCode {
    let (builder, custom_keys) = match parse(std::env::args().skip(1).collect()) {
        Ok(b) => b,
        Err(e) if e.is_empty() => {
            let _ = writeln!(std::io::stdout(), "{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("alipay-emulator: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let emu = match builder.start().await {
        Ok(e) => e,
        Err(e) => {
            eprintln!("alipay-emulator: {e}");
            return ExitCode::FAILURE;
        }
    };
    // The banner goes to stdout; a reader that went away (`| head`) is not an error.
    let mut out = std::io::stdout().lock();
    macro_rules! say {
        ($out:expr, $($arg:tt)*) => {
            let _ = writeln!($out, $($arg)*);
        };
    }
    say!(out, "listening on {}", emu.base_url());
    say!(out, "  v2 gateway:  {}", emu.gateway_url());
    say!(out, "  v3 base URL: {}", emu.base_url());
    say!(
        out,
        "  control API: {}/ (see GET {}/keys)",
        emu.control_url(),
        emu.control_url()
    );
    say!(out, "  app id:      {}", emu.app_id());
    if let Some(sn) = emu.alipay_cert_sn() {
        say!(out, "  certificate mode, alipay_cert_sn {sn}");
    }
    if !custom_keys {
        say!(
            out,
            "  built-in throwaway test keys (never use them outside tests): {}",
            test_keys::DIR
        );
        say!(
            out,
            "    app private key:    app_private_key.pem   (the client signs with it)"
        );
        say!(
            out,
            "    alipay public key:  alipay_public_key.pem (the client verifies with it)"
        );
        say!(out, "    certificates:       certs/ (appCertPublicKey.crt, alipayCertPublicKey_RSA2.crt, alipayRootCert_with_r2.crt)");
    }
    let _ = out.flush();
    drop(out);
    let _ = tokio::signal::ctrl_c().await;
    emu.shutdown();
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn options_parse_and_errors_are_named() {
        let (b, custom) = parse(args(&["--port", "0", "--cert-mode", "--test-aes-key"])).unwrap();
        assert!(!custom);
        let text = format!("{b:?}");
        assert!(
            text.contains("cert_mode: true") && text.contains("127.0.0.1:0"),
            "{text}"
        );
        let key = format!("{}/app_public_key.pem", test_keys::DIR);
        let (_, custom) =
            parse(args(&["--app-public-key", &key, "--app-auth-token", "t"])).unwrap();
        assert!(custom);
        for (bad, want) in [
            (vec!["--port", "x"], "--port takes a number"),
            (vec!["--port"], "--port needs a value"),
            (vec!["--nope"], "unknown option --nope"),
            (vec!["--host", "localhost"], "is not an IP address"),
            (
                vec!["--app-cert", "/nonexistent/file"],
                "cannot read /nonexistent/file",
            ),
        ] {
            let e = parse(args(&bad)).map(|_| ()).unwrap_err();
            assert!(e.contains(want), "{bad:?}: {e}");
        }
        assert_eq!(parse(args(&["--help"])).map(|_| ()).unwrap_err(), "");
    }
}
