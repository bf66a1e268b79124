'use strict';
// Signatures in both directions, with the official Node SDK:
// - a request signed with a key the emulator does not trust is rejected on every seed API
//   (v2: 40002 isv.invalid-signature with the string the gateway expected; v3: 401
//   invalid-signature) and has no effect;
// - a response whose signature is wrong or missing is refused by the SDK, which proves it
//   really verifies the emulator's signatures in the other tests.

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { after, before, describe, it } = require('node:test');
const { AlipayRequestError, AlipaySdk } = require('alipay-sdk');
const { control, publicKeyConfig, startEmulator } = require('../lib/emulator');
const { v3Route } = require('../lib/clients');
const { HUABEI } = require('../lib/seed_checks');

// A minimal valid request of every seed API.
const SEED_CALLS = [
  ['alipay.trade.create', { out_trade_no: 'SIG-C', subject: 's', total_amount: '1.00' }],
  ['alipay.trade.precreate', { out_trade_no: 'SIG-PC', subject: 's', total_amount: '1.00' }],
  [
    'alipay.trade.pay',
    { out_trade_no: 'SIG-P', scene: 'bar_code', auth_code: '280000000000000001', subject: 's', total_amount: '1.00' },
  ],
  ['alipay.trade.query', { out_trade_no: 'SIG-PC' }],
  ['alipay.trade.refund', { out_trade_no: 'SIG-P', refund_amount: '1.00' }],
  ['alipay.trade.close', { out_trade_no: 'SIG-PC' }],
  ['alipay.trade.cancel', { out_trade_no: 'SIG-P' }],
  ['alipay.pcredit.huabei.auth.order.query', { auth_opt_id: HUABEI[0].authOptId }],
  [
    'alipay.pcredit.huabei.auth.order.unfreeze',
    { agreement_no: HUABEI[0].agreement, out_request_no: 'SIG-U', unfreeze_amount: '1.00' },
  ],
];
const V2_ONLY_CALLS = [
  ['zhima.merchant.order.rent.query', { out_order_no: '2016100100000002', product_code: 'w1010100000000002858' }],
  [
    'alipay.fund.coupon.operation.query',
    { auth_no: '2018081710002001860294782485', operation_id: '20180817587432998602' },
  ],
];

describe('signatures', () => {
  let emu;
  let sdk;
  let intruder;
  before(async () => {
    emu = await startEmulator();
    sdk = new AlipaySdk(publicKeyConfig(emu));
    const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
    intruder = new AlipaySdk({
      ...publicKeyConfig(emu),
      privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }),
    });
  });
  after(async () => {
    if (emu) await emu.stop();
  });

  async function v3Rejection(client, method, params) {
    const { httpMethod, path } = v3Route(method);
    const options = httpMethod === 'GET' ? { query: params } : { body: params };
    return client.curl(httpMethod, path, options).then(
      (res) => assert.fail(`${method} signed with the wrong key succeeded: ${JSON.stringify(res)}`),
      (e) => e,
    );
  }

  describe('a request signed with the wrong key is rejected', () => {
    for (const [method, params] of SEED_CALLS) {
      it(`v3 ${method}: 401 invalid-signature`, async () => {
        const e = await v3Rejection(intruder, method, params);
        assert.ok(e instanceof AlipayRequestError, e.stack);
        assert.equal(e.responseHttpStatus, 401);
        assert.equal(e.code, 'invalid-signature');
      });
    }
    for (const [method, params] of [...SEED_CALLS, ...V2_ONLY_CALLS]) {
      it(`v2 ${method}: 40002 isv.invalid-signature`, async () => {
        const res = await intruder.exec(method, { bizContent: params }, { validateSign: true });
        assert.equal(res.code, '40002');
        assert.equal(res.sub_code, 'isv.invalid-signature');
        // The gateway tells which string it expected to be signed.
        assert.ok(res.sub_msg.includes(`method=${method}`), res.sub_msg);
        assert.ok(res.sub_msg.includes(`biz_content=${JSON.stringify(params)}`), res.sub_msg);
      });
    }
    it('none of them had an effect', async () => {
      const trades = await control(emu, 'GET', 'trades');
      assert.deepEqual(trades, []);
      const q = await sdk.exec(
        'alipay.pcredit.huabei.auth.order.query',
        { bizContent: { out_request_no: 'SIG-U' } },
        { validateSign: true },
      );
      assert.equal(q.sub_code, 'ORDER_NOT_EXIST');
    });
  });

  describe('a response with a wrong or missing signature is refused by the SDK', () => {
    const inject = (kind, protocol) =>
      control(emu, 'POST', 'faults', { fault: { kind }, method: 'alipay.trade.query', protocol, times: 1 });

    before(async () => {
      await sdk.curl('POST', '/v3/alipay/trade/precreate', {
        body: { out_trade_no: 'SIG-OK', subject: 's', total_amount: '1.00' },
      });
    });

    // How the SDK refuses: a wrong signature is its verification error; a missing one makes
    // node:crypto throw a TypeError inside the verification (no signature to check).
    const refused = {
      wrong_signature: {
        v3: (e) => e instanceof AlipayRequestError && e.code === 'response-signature-verify-error',
        v2: (e) => e instanceof AlipayRequestError && /验签失败/.test(e.message),
      },
      missing_signature: {
        v3: (e) => e instanceof TypeError && /signature/.test(e.message),
        v2: (e) => e instanceof TypeError && /signature/.test(e.message),
      },
    };

    for (const kind of Object.keys(refused)) {
      it(`v3 ${kind}`, async () => {
        await inject(kind, 'v3');
        await assert.rejects(
          sdk.curl('POST', '/v3/alipay/trade/query', { body: { out_trade_no: 'SIG-OK' } }),
          refused[kind].v3,
        );
        // The next call is signed correctly again and verifies.
        const ok = await sdk.curl('POST', '/v3/alipay/trade/query', { body: { out_trade_no: 'SIG-OK' } });
        assert.equal(ok.data.trade_status, 'WAIT_BUYER_PAY');
      });

      it(`v2 ${kind}`, async () => {
        await inject(kind, 'v2');
        await assert.rejects(
          sdk.exec('alipay.trade.query', { bizContent: { out_trade_no: 'SIG-OK' } }, { validateSign: true }),
          refused[kind].v2,
        );
        const ok = await sdk.exec('alipay.trade.query', { bizContent: { out_trade_no: 'SIG-OK' } }, { validateSign: true });
        assert.equal(ok.trade_status, 'WAIT_BUYER_PAY');
      });
    }

    it('v3 with another Alipay public key configured', async () => {
      const { publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
      const gullible = new AlipaySdk({
        ...publicKeyConfig(emu),
        alipayPublicKey: publicKey.export({ type: 'spki', format: 'pem' }),
      });
      await assert.rejects(
        gullible.curl('POST', '/v3/alipay/trade/query', { body: { out_trade_no: 'SIG-OK' } }),
        (e) => e instanceof AlipayRequestError && e.code === 'response-signature-verify-error',
      );
    });
  });
});
