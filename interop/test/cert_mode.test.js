'use strict';
// Certificate mode (`alipay-emulator --cert-mode`): the Node SDK configured with the app
// certificate, the Alipay certificate and the root bundle (it sends app_cert_sn and
// alipay_root_cert_sn, and checks alipay-sn and the response signature with the Alipay
// certificate's key) calls every seed API on both protocols.

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { after, before, describe, it } = require('node:test');
const { AlipaySdk } = require('alipay-sdk');
const { certConfig, control, startEmulator } = require('../lib/emulator');
const { v2Api, v3Api } = require('../lib/clients');
const { seedTests } = require('../lib/seed_checks');

describe('certificate mode', () => {
  let emu;
  let sdk;
  before(async () => {
    emu = await startEmulator(['--cert-mode']);
    sdk = new AlipaySdk(certConfig(emu));
  });
  after(async () => {
    if (emu) await emu.stop();
  });

  describe('certificates', () => {
    it('the SDK computes the SNs the emulator expects and signs with', async () => {
      const keys = await control(emu, 'GET', 'keys');
      assert.equal(keys.cert_mode, true);
      assert.equal(sdk.config.appCertSn, keys.app_cert_sn);
      assert.equal(sdk.config.alipayCertSn, keys.alipay_cert_sn);
      assert.equal(sdk.config.alipayRootCertSn, keys.alipay_root_cert_sn);
    });

    it('responses carry alipay-sn: a client expecting another certificate refuses them', async () => {
      const other = new AlipaySdk(certConfig(emu));
      other.config.alipayCertSn = '0123456789abcdef0123456789abcdef';
      await other
        .curl('POST', '/v3/alipay/trade/precreate', {
          body: { out_trade_no: 'CM-SN', subject: 's', total_amount: '1.00' },
        })
        .then(
          () => assert.fail('a response signed by an unexpected certificate was accepted'),
          (e) => assert.equal(e.code, 'response-alipay-sn-verify-error', e.message),
        );
    });

    it('a request signed with another key than the app certificate\'s is rejected', async () => {
      const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
      const intruder = new AlipaySdk({
        ...certConfig(emu),
        privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }),
      });
      await intruder.curl('POST', '/v3/alipay/trade/query', { body: { out_trade_no: 'CM-SN' } }).then(
        () => assert.fail('a request signed with the wrong key was accepted'),
        (e) => {
          assert.equal(e.responseHttpStatus, 401, e.message);
          assert.equal(e.code, 'invalid-signature');
        },
      );
      const res = await intruder.exec('alipay.trade.query', { bizContent: { out_trade_no: 'CM-SN' } }, { validateSign: true });
      assert.equal(res.code, '40002');
      assert.equal(res.sub_code, 'isv.invalid-signature');
    });
  });

  describe('v3 (sdk.curl)', () => {
    seedTests({ api: () => v3Api(sdk), emu: () => emu, tag: 'CM-V3', huabei: 0, v2OnlyOps: false });
  });

  describe('v2 (sdk.exec, validateSign)', () => {
    seedTests({ api: () => v2Api(sdk), emu: () => emu, tag: 'CM-V2', huabei: 1, v2OnlyOps: true });
  });
});
