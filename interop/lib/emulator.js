'use strict';
// Starts the local gateway emulator as a separate process and gives the official Node SDK
// (npm `alipay-sdk`, pinned in package.json) a configuration that talks to it.
//
// The binary comes from EMULATOR_BIN, else the debug build of the workspace
// (`cargo build -p alipay-emulator`, honouring CARGO_TARGET_DIR).

// The v2 gateway expects `timestamp` in Beijing time, and the Node SDK formats it in the
// process's local time zone: run as a merchant in China would.
process.env.TZ = 'Asia/Shanghai';

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const readline = require('node:readline');

const ROOT = path.resolve(__dirname, '..', '..');
const KEYS = path.join(ROOT, 'emulator', 'keys');
const CERTS = path.join(KEYS, 'certs');
const APP_ID = '2021000000000001';
const STARTUP_TIMEOUT_MS = 15000;

function emulatorBin() {
  if (process.env.EMULATOR_BIN) return path.resolve(process.env.EMULATOR_BIN);
  const target = process.env.CARGO_TARGET_DIR
    ? path.resolve(ROOT, process.env.CARGO_TARGET_DIR)
    : path.join(ROOT, 'target');
  const exe = process.platform === 'win32' ? 'alipay-emulator.exe' : 'alipay-emulator';
  return path.join(target, 'debug', exe);
}

function readKey(...parts) {
  return fs.readFileSync(path.join(KEYS, ...parts), 'utf8');
}

/**
 * Starts the emulator with `args` (after `--port 0`) and resolves once it printed its
 * `listening on http://127.0.0.1:<port>` line.
 * @returns {Promise<{baseUrl: string, gateway: string, control: string, stop: () => Promise<void>}>}
 */
function startEmulator(args = []) {
  const bin = emulatorBin();
  if (!fs.existsSync(bin)) {
    return Promise.reject(
      new Error(
        `emulator binary not found at ${bin}: build it with \`cargo build -p alipay-emulator\` ` +
          'or point EMULATOR_BIN at it',
      ),
    );
  }
  const child = spawn(bin, ['--port', '0', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk) => {
    if (stderr.length < 64 * 1024) stderr += chunk;
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const stop = async () => {
    process.removeListener('exit', killOnExit);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
  };

  return new Promise((resolve, reject) => {
    const lines = readline.createInterface({ input: child.stdout });
    let first = true;
    const timer = setTimeout(() => {
      fail(new Error(`emulator ${bin} printed no "listening on" line within ${STARTUP_TIMEOUT_MS} ms`));
    }, STARTUP_TIMEOUT_MS);
    const fail = (err) => {
      clearTimeout(timer);
      stop().finally(() => reject(err));
    };
    child.once('error', (e) => fail(new Error(`cannot start emulator ${bin}: ${e.message}`)));
    child.once('exit', (code, signal) => {
      if (first) {
        fail(new Error(`emulator ${bin} exited (code ${code}, signal ${signal}) before listening:\n${stderr}`));
      }
    });
    // Keep reading stdout to the end so the emulator never writes into a full pipe.
    lines.on('line', (line) => {
      if (!first) return;
      first = false;
      clearTimeout(timer);
      const m = /^listening on (http:\/\/\S+)$/.exec(line.trim());
      if (!m) {
        fail(new Error(`emulator's first line is not "listening on http://…": ${JSON.stringify(line)}`));
        return;
      }
      const baseUrl = m[1];
      resolve({
        baseUrl,
        gateway: `${baseUrl}/gateway.do`,
        control: `${baseUrl}/__emulator`,
        stop,
      });
    });
  });
}

/** Calls the emulator's control API (JSON, unsigned). */
async function control(emu, method, route, body) {
  const res = await fetch(`${emu.control}/${route}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`control ${method} ${route}: HTTP ${res.status} ${text}`);
  return JSON.parse(text);
}

/** Node SDK configuration for the emulator's built-in public-key mode. */
function publicKeyConfig(emu) {
  return {
    appId: APP_ID,
    privateKey: readKey('app_private_key.pem'),
    keyType: 'PKCS8',
    alipayPublicKey: readKey('alipay_public_key.pem'),
    gateway: emu.gateway,
    endpoint: emu.baseUrl,
    timeout: 10000,
    // Keep the wire names of v2 fields (the default camel-cases them after verification).
    camelcase: false,
  };
}

/** Node SDK configuration for the emulator's built-in certificate mode (`--cert-mode`). */
function certConfig(emu) {
  return {
    appId: APP_ID,
    privateKey: readKey('app_private_key.pem'),
    keyType: 'PKCS8',
    appCertContent: fs.readFileSync(path.join(CERTS, 'appCertPublicKey.crt')),
    alipayPublicCertContent: fs.readFileSync(path.join(CERTS, 'alipayCertPublicKey_RSA2.crt')),
    alipayRootCertContent: fs.readFileSync(path.join(CERTS, 'alipayRootCert_with_r2.crt')),
    gateway: emu.gateway,
    endpoint: emu.baseUrl,
    timeout: 10000,
    // Keep the wire names of v2 fields (the default camel-cases them after verification).
    camelcase: false,
  };
}

module.exports = {
  APP_ID,
  KEYS,
  certConfig,
  control,
  emulatorBin,
  publicKeyConfig,
  startEmulator,
};
