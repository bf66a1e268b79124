'use strict';
// Every seed API through the Node SDK, with the business fields the emulator must answer.
// `seedTests(ctx)` registers the tests inside a `describe`; ctx.api() gives the protocol's
// calling convention (lib/clients.js), ctx.emu() the running emulator.

const assert = require('node:assert/strict');
const { it } = require('node:test');
const { control } = require('./emulator');
const { errorCode } = require('./clients');

// Seed records of the emulator (emulator/src/domain/).
const HUABEI = [
  {
    user: '2088101117955611',
    openId: '074a1CcTG1LelxKe4xQC0zgNdId0nxi95b5lsNpazWYoCo5',
    agreement: '20185908000000001234',
    authOptId: '2018081010020817070009689955',
    outRequestNo: '8077735255938032',
    frozen: 100,
  },
  {
    user: '2088102000000002',
    openId: '074a1CcTG1LelxKe4xQC0zgNdId0nxi95b5lsNpazWYoCo6',
    agreement: '20185908000000005678',
    authOptId: '2018081010020817070009689956',
    outRequestNo: '8077735255938033',
    frozen: 50,
  },
];
const ZHIMA_PRODUCT = 'w1010100000000002858';
const COUPON = {
  authNo: '2018081710002001860294782485',
  outOrderNo: '2017122716463222',
  payOperationId: '20180817587432998602',
  payOutRequestNo: '201712271645328',
  refundOperationId: '20180817587432998603',
  refundOutRequestNo: 'refund20171228254',
};
const DEFAULT_BUYER = '2088102177846880';

async function rejectsWith(promise, code) {
  let err;
  try {
    await promise;
  } catch (e) {
    err = e;
  }
  assert.ok(err, `expected ${code}, the call succeeded`);
  assert.equal(errorCode(err), code, err.message);
  return err;
}

const money = (n) => n.toFixed(2);

/**
 * @param {{api: () => {protocol: string, call: Function}, emu: () => object,
 *          tag: string, huabei: 0 | 1, v2OnlyOps: boolean}} ctx
 */
function seedTests(ctx) {
  const call = (method, params) => ctx.api().call(method, params);
  const out = (s) => `${ctx.tag}-${s}`;

  it('alipay.trade.create, query (WAIT_BUYER_PAY), close, query (TRADE_CLOSED)', async () => {
    const created = await call('alipay.trade.create', {
      out_trade_no: out('C'),
      subject: 'Iphone6 16G',
      total_amount: '88.88',
    });
    assert.equal(created.out_trade_no, out('C'));
    assert.match(created.trade_no, /^\d{16,64}$/);

    const waiting = await call('alipay.trade.query', { out_trade_no: out('C') });
    assert.equal(waiting.trade_status, 'WAIT_BUYER_PAY');
    assert.equal(waiting.total_amount, '88.88');
    assert.equal(waiting.trade_no, created.trade_no);

    const closed = await call('alipay.trade.close', { out_trade_no: out('C') });
    assert.equal(closed.out_trade_no, out('C'));
    assert.equal(closed.trade_no, created.trade_no);
    const after = await call('alipay.trade.query', { trade_no: created.trade_no });
    assert.equal(after.trade_status, 'TRADE_CLOSED');
    await rejectsWith(call('alipay.trade.close', { out_trade_no: out('C') }), 'ACQ.TRADE_STATUS_ERROR');
  });

  it('alipay.trade.precreate, the buyer pays (control API), query, refund (partial, idempotent, bounded)', async () => {
    const pre = await call('alipay.trade.precreate', {
      out_trade_no: out('PC'),
      subject: '测试商品 & <test>',
      total_amount: '50.00',
    });
    assert.equal(pre.out_trade_no, out('PC'));
    assert.match(pre.qr_code, /^https:\/\//);

    // Unpaid: no refund yet.
    await rejectsWith(
      call('alipay.trade.refund', { out_trade_no: out('PC'), refund_amount: '1.00' }),
      'ACQ.TRADE_STATUS_ERROR',
    );

    const paid = await control(ctx.emu(), 'POST', `trades/${encodeURIComponent(out('PC'))}/pay`, {});
    assert.equal(paid.trade_status, 'TRADE_SUCCESS');

    const q = await call('alipay.trade.query', { out_trade_no: out('PC') });
    assert.equal(q.trade_status, 'TRADE_SUCCESS');
    assert.equal(q.subject, '测试商品 & <test>');
    assert.equal(q.buyer_user_id, DEFAULT_BUYER);
    assert.equal(q.buyer_pay_amount, '50.00');
    assert.match(q.send_pay_date, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);

    const refund = { out_trade_no: out('PC'), refund_amount: '20.00', out_request_no: out('R1') };
    const r1 = await call('alipay.trade.refund', refund);
    assert.equal(r1.fund_change, 'Y');
    assert.equal(r1.refund_fee, '20.00');
    assert.equal(r1.out_trade_no, out('PC'));
    const again = await call('alipay.trade.refund', refund);
    assert.equal(again.fund_change, 'N');
    assert.equal(again.refund_fee, '20.00');
    await rejectsWith(
      call('alipay.trade.refund', { ...refund, refund_amount: '21.00' }),
      'ACQ.DISCORDANT_REPEAT_REQUEST',
    );
    await rejectsWith(
      call('alipay.trade.refund', { out_trade_no: out('PC'), refund_amount: '30.01', out_request_no: out('R2') }),
      'ACQ.REFUND_AMT_NOT_EQUAL_TOTAL',
    );
    const rest = await call('alipay.trade.refund', {
      out_trade_no: out('PC'),
      refund_amount: '30.00',
      out_request_no: out('R3'),
    });
    assert.equal(rest.refund_fee, '50.00');
    const full = await call('alipay.trade.query', { out_trade_no: out('PC') });
    assert.equal(full.trade_status, 'TRADE_CLOSED');
  });

  it('alipay.trade.pay (barcode), query, cancel of a paid trade (refund) and of an unpaid one (close)', async () => {
    const paid = await call('alipay.trade.pay', {
      out_trade_no: out('P'),
      scene: 'bar_code',
      auth_code: '280000000000000001',
      subject: 'barcode',
      total_amount: '10.00',
    });
    assert.equal(paid.out_trade_no, out('P'));
    assert.equal(paid.total_amount, '10.00');
    assert.equal(paid.buyer_pay_amount, '10.00');
    assert.equal(paid.buyer_user_id, DEFAULT_BUYER);
    assert.ok(Array.isArray(paid.fund_bill_list) && paid.fund_bill_list.length > 0);
    const q = await call('alipay.trade.query', { out_trade_no: out('P') });
    assert.equal(q.trade_status, 'TRADE_SUCCESS');

    const reversed = await call('alipay.trade.cancel', { out_trade_no: out('P') });
    assert.equal(reversed.action, 'refund');
    assert.equal(reversed.retry_flag, 'N');
    assert.equal((await call('alipay.trade.query', { out_trade_no: out('P') })).trade_status, 'TRADE_CLOSED');

    await call('alipay.trade.precreate', { out_trade_no: out('PC2'), subject: 's', total_amount: '1.00' });
    const closed = await call('alipay.trade.cancel', { out_trade_no: out('PC2') });
    assert.equal(closed.action, 'close');
    assert.equal(closed.out_trade_no, out('PC2'));

    await rejectsWith(
      call('alipay.trade.pay', {
        out_trade_no: out('P97'),
        scene: 'bar_code',
        auth_code: '970000000000000001',
        subject: 'invalid code',
        total_amount: '1.00',
      }),
      'ACQ.PAYMENT_AUTH_CODE_INVALID',
    );
  });

  it('alipay.trade.query of an unknown order: ACQ.TRADE_NOT_EXIST', async () => {
    const e = await rejectsWith(
      call('alipay.trade.query', { out_trade_no: out('nope') }),
      'ACQ.TRADE_NOT_EXIST',
    );
    if (e.protocol === 'v3') assert.equal(e.status, 400);
    else assert.equal(e.code, '40004');
  });

  it('alipay.pcredit.huabei.auth.order.query by each documented key', async () => {
    const seed = HUABEI[ctx.huabei];
    const byId = await call('alipay.pcredit.huabei.auth.order.query', { auth_opt_id: seed.authOptId });
    assert.equal(byId.auth_opt_id, seed.authOptId);
    assert.equal(byId.agreement_no, seed.agreement);
    assert.equal(byId.alipay_user_id, seed.user);
    assert.equal(byId.trans_type, 'FREEZE');
    assert.equal(byId.trans_status, 'Y');
    assert.equal(byId.rest_freeze_amount, money(seed.frozen));
    for (const params of [
      { alipay_user_id: seed.user, out_request_no: seed.outRequestNo },
      { open_id: seed.openId, out_request_no: seed.outRequestNo },
      { out_request_no: seed.outRequestNo },
    ]) {
      assert.deepEqual(await call('alipay.pcredit.huabei.auth.order.query', params), byId, JSON.stringify(params));
    }
    await rejectsWith(call('alipay.pcredit.huabei.auth.order.query', { auth_opt_id: '1' }), 'ORDER_NOT_EXIST');
  });

  it('alipay.pcredit.huabei.auth.order.unfreeze moves the balance; the unfreeze is queryable', async () => {
    const seed = HUABEI[ctx.huabei];
    const params = {
      agreement_no: seed.agreement,
      alipay_user_id: seed.user,
      out_request_no: out('U1'),
      unfreeze_amount: '30.00',
    };
    const r = await call('alipay.pcredit.huabei.auth.order.unfreeze', params);
    assert.equal(r.out_request_no, out('U1'));
    assert.equal(r.agreement_no, seed.agreement);
    assert.equal(r.agreement_status, 'Y');
    assert.equal(r.trans_status, 'Y');
    assert.equal(r.unfreeze_amount, '30.00');
    assert.equal(r.rest_freeze_amount, money(seed.frozen - 30));
    assert.deepEqual(await call('alipay.pcredit.huabei.auth.order.unfreeze', params), r, 'idempotent');

    const q = await call('alipay.pcredit.huabei.auth.order.query', { auth_opt_id: r.auth_opt_id });
    assert.equal(q.trans_type, 'UNFREEZE');
    assert.equal(q.trans_amount, '30.00');
    assert.equal(q.rest_freeze_amount, money(seed.frozen - 30));

    await rejectsWith(
      call('alipay.pcredit.huabei.auth.order.unfreeze', {
        ...params,
        out_request_no: out('U2'),
        unfreeze_amount: money(seed.frozen),
      }),
      'BALANCE_CHECK_ERROR',
    );
  });

  if (!ctx.v2OnlyOps) return;

  it('zhima.merchant.order.rent.query: each seeded order; unsigned product, unknown order', async () => {
    const q = (out_order_no, product_code = ZHIMA_PRODUCT) =>
      call('zhima.merchant.order.rent.query', { out_order_no, product_code });
    const borrowed = await q('2016100100000001');
    assert.equal(borrowed.order_no, '100000');
    assert.equal(borrowed.use_state, 'borrow');
    assert.equal(borrowed.pay_status, 'PAY_INIT');
    const restored = await q('2016100100000002');
    assert.equal(restored.use_state, 'restore');
    assert.equal(restored.pay_status, 'PAY_SUCCESS');
    assert.equal(restored.pay_amount, '100.00');
    assert.equal(restored.goods_name, '充电宝');
    const cancelled = await q('2016100100000003');
    assert.equal(cancelled.use_state, 'cancel');
    assert.equal(cancelled.admit_state, 'N');
    await rejectsWith(q('2016100100000001', 'w1'), 'ARRANGEMENT_NOT_EXIST');
    await rejectsWith(q('2016100100009999'), 'ORDER_NOT_EXISTS');
  });

  it('alipay.fund.coupon.operation.query: every key pairing; unknown order and operation', async () => {
    const q = (params) => call('alipay.fund.coupon.operation.query', params);
    const pay = await q({ auth_no: COUPON.authNo, operation_id: COUPON.payOperationId });
    assert.equal(pay.operation_type, 'PAY');
    assert.equal(pay.amount, '10.00');
    assert.equal(pay.status, 'SUCCESS');
    assert.equal(pay.auth_no, COUPON.authNo);
    assert.equal(pay.out_request_no, COUPON.payOutRequestNo);
    for (const params of [
      { auth_no: COUPON.authNo, out_request_no: COUPON.payOutRequestNo },
      { out_order_no: COUPON.outOrderNo, operation_id: COUPON.payOperationId },
      { out_order_no: COUPON.outOrderNo, out_request_no: COUPON.payOutRequestNo },
    ]) {
      assert.deepEqual(await q(params), pay, JSON.stringify(params));
    }
    const refund = await q({ out_order_no: COUPON.outOrderNo, out_request_no: COUPON.refundOutRequestNo });
    assert.equal(refund.operation_type, 'REFUND');
    assert.equal(refund.operation_id, COUPON.refundOperationId);
    assert.equal(refund.total_pay_refund_amount, '3.00');
    await rejectsWith(q({ auth_no: '1', operation_id: '1' }), 'AUTH_ORDER_NOT_EXIST');
    await rejectsWith(q({ auth_no: COUPON.authNo, operation_id: '1' }), 'AUTH_OPERATION_NOT_EXIST');
    await rejectsWith(q({ auth_no: COUPON.authNo }), 'ILLEGAL_ARGUMENT');
  });
}

module.exports = { HUABEI, rejectsWith, seedTests };
