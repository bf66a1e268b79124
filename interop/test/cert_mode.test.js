'use strict';
// Certificate mode (`alipay-emulator --cert-mode`): the Node SDK configured with the app
// certificate, the Alipay certificate and the root bundle (it sends app_cert_sn and
// alipay_root_cert_sn, and checks alipay-sn / the response signature with the Alipay
// certificate's key) calls every seed API on both protocols.

const assert = require('node:assert/strict');
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

  describe('SNs', () => {
    it('the SDK computes the SNs the emulator expects and signs with', async () => {
      const keys = await control(emu, 'GET', 'keys');
      assert.equal(keys.cert_mode, true);
      assert.equal(sdk.config.appCertSn, keys.app_cert_sn);
      assert.equal(sdk.config.alipayCertSn, keys.alipay_cert_sn);
      assert.equal(sdk.config.alipayRootCertSn, keys.alipay_root_cert_sn);
    });
  });

  describe('v3 (sdk.curl)', () => {
    seedTests({ api: () => v3Api(sdk), emu: () => emu, tag: 'CM-V3', huabei: 0, v2OnlyOps: false });
  });

  describe('v2 (sdk.exec, validateSign)', () => {
    seedTests({ api: () => v2Api(sdk), emu: () => emu, tag: 'CM-V2', huabei: 1, v2OnlyOps: true });
  });
});
