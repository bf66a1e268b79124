'use strict';
// The Node half of the load command (examples/examples/load.rs): the official Node SDK makes
// N `alipay.trade.query` calls, C at a time, over v3 (`sdk.curl`, response signature checked)
// and v2 (`sdk.exec` with validateSign), against an emulator that is already running, and
// prints JSON figures: wall time, p50/p99 latency and this process's CPU time
// (`process.cpuUsage()`, user + system, all threads) over the measured calls only.
//
//   node load.js --base-url http://127.0.0.1:<port> --out-trade-no <paid trade>
//                [--calls N] [--concurrency C] [--max-seconds S]

const { AlipaySdk } = require('alipay-sdk');
const sdkVersion = require('alipay-sdk/package.json').version;
const { publicKeyConfig } = require('./lib/emulator');
const { v2Api, v3Api } = require('./lib/clients');

function parseArgs(argv) {
  const args = { calls: 2000, concurrency: 16, maxSeconds: 60 };
  for (let i = 0; i < argv.length; i += 2) {
    const [name, value] = [argv[i], argv[i + 1]];
    if (value === undefined) throw new Error(`${name} needs a value`);
    const number = (max) => {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 1 || n > max) throw new Error(`${name} takes a number from 1 to ${max}`);
      return n;
    };
    switch (name) {
      case '--base-url': {
        const url = new URL(value);
        if (url.hostname !== '127.0.0.1') throw new Error('--base-url must be a loopback address');
        args.baseUrl = url.origin;
        break;
      }
      case '--out-trade-no':
        args.outTradeNo = value;
        break;
      case '--calls':
        args.calls = number(1000000);
        break;
      case '--concurrency':
        args.concurrency = number(1024);
        break;
      case '--max-seconds':
        args.maxSeconds = number(3600);
        break;
      default:
        throw new Error(`unknown option ${name}`);
    }
  }
  if (!args.baseUrl || !args.outTradeNo) throw new Error('--base-url and --out-trade-no are required');
  return args;
}

/** `calls` queries, `concurrency` at a time, until done or `deadline` (ms since epoch). */
async function queryCalls(api, outTradeNo, calls, concurrency, deadline) {
  let next = 0;
  let errors = 0;
  const latencies = [];
  const worker = async () => {
    while (next < calls && Date.now() < deadline) {
      next += 1;
      const start = process.hrtime.bigint();
      try {
        const r = await api.call('alipay.trade.query', { out_trade_no: outTradeNo });
        if (r.trade_status !== 'TRADE_SUCCESS') errors += 1;
      } catch (e) {
        errors += 1;
        if (errors === 1) console.error(`load.js: ${api.protocol} call failed: ${e.message}`);
      }
      latencies.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { latencies, errors };
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted, p) {
  if (sorted.length === 0) return 0;
  const rank = Math.min(Math.max(Math.ceil(p * sorted.length), 1), sorted.length);
  return sorted[rank - 1];
}

async function run(api, args) {
  const warmup = Math.min(Math.max(Math.floor(args.calls / 10), args.concurrency), 2000);
  const warm = await queryCalls(api, args.outTradeNo, warmup, args.concurrency, Date.now() + args.maxSeconds * 1000);
  if (warm.errors > 0) throw new Error(`${warm.errors} errors during the ${api.protocol} warm-up`);
  const cpu0 = process.cpuUsage();
  const start = process.hrtime.bigint();
  const { latencies, errors } = await queryCalls(
    api,
    args.outTradeNo,
    args.calls,
    args.concurrency,
    Date.now() + args.maxSeconds * 1000,
  );
  const wallS = Number(process.hrtime.bigint() - start) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  latencies.sort((a, b) => a - b);
  return {
    protocol: api.protocol,
    calls: latencies.length,
    errors,
    wall_s: wallS,
    cpu_s: (cpu.user + cpu.system) / 1e6,
    p50_ms: percentile(latencies, 0.5),
    p99_ms: percentile(latencies, 0.99),
  };
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const sdk = new AlipaySdk(publicKeyConfig({ gateway: `${args.baseUrl}/gateway.do`, baseUrl: args.baseUrl }));
  const runs = [];
  for (const api of [v3Api(sdk), v2Api(sdk)]) runs.push(await run(api, args));
  process.stdout.write(`${JSON.stringify({ sdk: `alipay-sdk@${sdkVersion}`, node: process.version, runs })}\n`);
}

main().catch((e) => {
  console.error(`load.js: ${e.message}`);
  process.exit(1);
});
