#!/bin/sh
# Regenerates the throwaway certificate hierarchy used by the certificate-rotation tests
# (runtime/tests/client_cert.rs). Never use these keys outside tests.
#
#   rot_root      self-signed RSA root, added to the vectors' root bundle in the tests
#   rot_inter     intermediate CA signed by rot_root
#   rotated       "new" Alipay signing certificate, signed by rot_inter (chain: rotated + rot_inter)
#   evil_inter    same subject as rot_inter but its own key, self-signed (not anchored in any root)
#   evil          leaf signed by evil_inter (chain: evil + evil_inter): must be rejected
set -eu
cd "$(dirname "$0")"
days=7300
subj_root="/C=CN/O=Test Ant Financial/OU=Certification Authority/CN=Test Rotation Root R2"
subj_inter="/C=CN/O=Test Ant Financial/OU=Certification Authority/CN=Test Rotation Class 2 R2"
subj_leaf="/C=CN/O=Test Alipay/OU=Alipay Open Platform/CN=Alipay Public Key Rotated"
cat > ca.ext <<X
basicConstraints=critical,CA:TRUE
keyUsage=critical,keyCertSign,cRLSign
subjectKeyIdentifier=hash
X
cat > leaf.ext <<X
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
X
for k in rot_root rot_inter rotated evil_inter evil; do
  openssl genrsa -out $k.key 2048 2>/dev/null
done
openssl req -new -key rot_root.key -subj "$subj_root" -out rot_root.csr
openssl x509 -req -in rot_root.csr -signkey rot_root.key -sha256 -set_serial 0x52a1 \
 -days $days -extfile ca.ext -out rot_root.crt
openssl req -new -key rot_inter.key -subj "$subj_inter" -out rot_inter.csr
openssl x509 -req -in rot_inter.csr -CA rot_root.crt -CAkey rot_root.key -sha256 -set_serial 0x52a2 \
 -days $days -extfile ca.ext -out rot_inter.crt
openssl req -new -key rotated.key -subj "$subj_leaf" -out rotated.csr
openssl x509 -req -in rotated.csr -CA rot_inter.crt -CAkey rot_inter.key -sha256 -set_serial 0x7a7b7c \
 -days $days -extfile leaf.ext -out rotated_leaf.crt
cat rotated_leaf.crt rot_inter.crt > rotated_chain.crt
openssl req -new -key evil_inter.key -subj "$subj_inter" -out evil_inter.csr
openssl x509 -req -in evil_inter.csr -signkey evil_inter.key -sha256 -set_serial 0x52a2 \
 -days $days -extfile ca.ext -out evil_inter.crt
openssl req -new -key evil.key -subj "$subj_leaf" -out evil.csr
openssl x509 -req -in evil.csr -CA evil_inter.crt -CAkey evil_inter.key -sha256 -set_serial 0x7a7b7d \
 -days $days -extfile leaf.ext -out evil_leaf.crt
cat evil_leaf.crt evil_inter.crt > evil_chain.crt
rm -f ./*.csr ca.ext leaf.ext rot_root.key rot_inter.key evil_inter.key rotated_leaf.crt evil_leaf.crt
