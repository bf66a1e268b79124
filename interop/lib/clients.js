'use strict';
// One calling convention over the Node SDK's two protocols, so the same checks run on both:
// `call(method, params)` resolves with the business fields under their wire names, or rejects
// with an ApiError carrying Alipay's code.
//
// - v3: `sdk.curl(httpMethod, path, {body | query})`, which verifies the response signature
//   (alipay-signature over timestamp, nonce and body) unless told otherwise.
// - v2: `sdk.exec(method, {bizContent}, {validateSign: true})`, which verifies the node
//   signature of the response.

const { AlipayRequestError } = require('alipay-sdk');

class ApiError extends Error {
  /**
   * @param {string} message
   * @param {{protocol: string, code: string, status?: number, subCode?: string}} info
   */
  constructor(message, info) {
    super(message);
    this.name = 'ApiError';
    Object.assign(this, info);
  }
}

/** v3 route of a seed operation: HTTP method and path. */
function v3Route(method) {
  const path = `/v3/${method.split('.').join('/')}`;
  switch (method) {
    case 'alipay.pcredit.huabei.auth.order.query':
      return { httpMethod: 'GET', path };
    case 'alipay.pcredit.huabei.auth.order.unfreeze':
      return { httpMethod: 'PUT', path };
    default:
      return { httpMethod: 'POST', path };
  }
}

function v3Api(sdk) {
  return {
    protocol: 'v3',
    async call(method, params) {
      const { httpMethod, path } = v3Route(method);
      const options = httpMethod === 'GET' ? { query: params } : { body: params };
      try {
        const res = await sdk.curl(httpMethod, path, options);
        if (res.responseHttpStatus !== 200) {
          throw new ApiError(`${method}: HTTP ${res.responseHttpStatus}`, {
            protocol: 'v3',
            code: 'UNEXPECTED_STATUS',
            status: res.responseHttpStatus,
          });
        }
        return res.data;
      } catch (e) {
        if (e instanceof AlipayRequestError && e.responseHttpStatus) {
          throw new ApiError(`${method}: HTTP ${e.responseHttpStatus} ${e.code}: ${e.message}`, {
            protocol: 'v3',
            code: e.code,
            status: e.responseHttpStatus,
          });
        }
        throw e;
      }
    },
  };
}

function v2Api(sdk) {
  return {
    protocol: 'v2',
    async call(method, params) {
      const res = await sdk.exec(method, { bizContent: params }, { validateSign: true });
      const { code, msg, sub_code: subCode, sub_msg: subMsg, traceId: _trace, ...fields } = res;
      // 10003: the buyer still has to confirm (alipay.trade.pay); the fields are those of a success.
      if (code !== '10000' && code !== '10003') {
        throw new ApiError(`${method}: ${code} ${msg} ${subCode}: ${subMsg}`, {
          protocol: 'v2',
          code,
          subCode,
        });
      }
      return fields;
    },
  };
}

/** Alipay's specific error code of an ApiError: the v2 sub_code or the v3 code. */
function errorCode(e) {
  if (!(e instanceof ApiError)) return `not an Alipay error: ${e && e.stack ? e.stack : e}`;
  return e.protocol === 'v2' ? e.subCode : e.code;
}

module.exports = { ApiError, errorCode, v2Api, v3Api, v3Route };
