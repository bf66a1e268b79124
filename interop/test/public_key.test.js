'use strict';
// Public-key mode: the official Node SDK calls every seed API on the emulator, v3 through
// `curl` (response signatures checked by default) and v2 through `exec` with validateSign.

const { after, before, describe } = require('node:test');
const { AlipaySdk } = require('alipay-sdk');
const { publicKeyConfig, startEmulator } = require('../lib/emulator');
const { v2Api, v3Api } = require('../lib/clients');
const { seedTests } = require('../lib/seed_checks');

describe('public-key mode', () => {
  let emu;
  let sdk;
  before(async () => {
    emu = await startEmulator();
    sdk = new AlipaySdk(publicKeyConfig(emu));
  });
  after(async () => {
    if (emu) await emu.stop();
  });

  describe('v3 (sdk.curl)', () => {
    seedTests({ api: () => v3Api(sdk), emu: () => emu, tag: 'PK-V3', huabei: 0, v2OnlyOps: false });
  });

  describe('v2 (sdk.exec, validateSign)', () => {
    seedTests({ api: () => v2Api(sdk), emu: () => emu, tag: 'PK-V2', huabei: 1, v2OnlyOps: true });
  });
});
