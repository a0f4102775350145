#include "actors/network_config.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/io/middleman.hpp>

#if defined(HETSGD_HAVE_CAF_OPENSSL)
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <caf/openssl/manager.hpp>
#include <caf/openssl/publish.hpp>
#include <caf/openssl/remote_actor.hpp>
#endif

#include <chrono>
#include <fstream>
#include <memory>

#include "actors/message_types.hpp"

namespace hetsgd {

bool tls_compiled_in() {
#if defined(HETSGD_HAVE_CAF_OPENSSL)
  return true;
#else
  return false;
#endif
}

namespace {

#if defined(HETSGD_HAVE_CAF_OPENSSL)
/// OpenSSL's own reason for the last failure, e.g. "PEM routines::no start line".
std::string openssl_reason() {
  const auto code = ERR_get_error();
  ERR_clear_error();
  if (code == 0)
    return "unknown OpenSSL error";
  char text[256] = {};
  ERR_error_string_n(code, text, sizeof text);
  return text;
}
#endif

}  // namespace

std::string check_tls_files(const tls_files& tls, const tls_files& names) {
  if (!tls.enabled())
    return {};
  for (auto [path, name] :
       {std::pair{&tls.cert, &names.cert}, {&tls.key, &names.key}, {&tls.ca, &names.ca}}) {
    if (path->empty())
      return *name + ": TLS needs a certificate, its key and the CA file; this one is missing";
    if (!std::ifstream(*path))
      return *name + ": cannot read " + *path;
  }
#if defined(HETSGD_HAVE_CAF_OPENSSL)
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx(SSL_CTX_new(TLS_method()), SSL_CTX_free);
  if (!ctx)
    return "TLS: cannot create an OpenSSL context: " + openssl_reason();
  if (SSL_CTX_use_certificate_chain_file(ctx.get(), tls.cert.c_str()) != 1)
    return names.cert + ": " + tls.cert + " is not a PEM certificate: " + openssl_reason();
  // Loading the key checks it against the certificate loaded before.
  if (SSL_CTX_use_PrivateKey_file(ctx.get(), tls.key.c_str(), SSL_FILETYPE_PEM) != 1) {
    if (ERR_GET_REASON(ERR_peek_error()) == X509_R_KEY_VALUES_MISMATCH) {
      ERR_clear_error();
      return names.key + ": " + tls.key + " does not match the certificate " + tls.cert;
    }
    return names.key + ": " + tls.key + " is not a PEM private key: " + openssl_reason();
  }
  if (SSL_CTX_load_verify_locations(ctx.get(), tls.ca.c_str(), nullptr) != 1)
    return names.ca + ": " + tls.ca + " is not a PEM CA certificate: " + openssl_reason();
  return {};
#else
  return names.cert + ": TLS is not compiled into this build (libcaf_openssl was not found)";
#endif
}

void configure_network(caf::actor_system_config& cfg, double heartbeat_s, double timeout_s,
                       const tls_files& tls) {
  cfg.load<caf::io::middleman>();
  auto span = [](double s) {
    return caf::timespan{
      std::chrono::duration_cast<caf::timespan>(std::chrono::duration<double>(s))};
  };
  cfg.set("middleman.heartbeat-interval", span(heartbeat_s));
  cfg.set("middleman.connection-timeout", span(2.0 * timeout_s));
#if defined(HETSGD_HAVE_CAF_OPENSSL)
  if (tls.enabled()) {
    cfg.load<caf::openssl::manager>();
    // Any of these set turns on CAF's authenticated mode: certificates required both ways.
    cfg.openssl_certificate = tls.cert;
    cfg.openssl_key = tls.key;
    cfg.openssl_cafile = tls.ca;
  }
#endif
}

void configure_cluster_node(caf::actor_system_config& cfg) {
  register_message_types(cfg);
  configure_network(cfg, 1.0, 10.0);
}

caf::expected<std::uint16_t> publish_actor(caf::actor_system& sys, const caf::actor& whom,
                                           std::uint16_t port, const std::string& host,
                                           const tls_files& tls) {
#if defined(HETSGD_HAVE_CAF_OPENSSL)
  if (tls.enabled())
    return caf::openssl::publish(whom, port, host.c_str(), true);
#endif
  return sys.middleman().publish(whom, port, host.c_str(), true);
}

caf::expected<caf::actor> connect_actor(caf::actor_system& sys, const std::string& host,
                                        std::uint16_t port, const tls_files& tls) {
#if defined(HETSGD_HAVE_CAF_OPENSSL)
  if (tls.enabled())
    return caf::openssl::remote_actor<caf::actor>(sys, host, port);
#endif
  return sys.middleman().remote_actor(host, port);
}

}  // namespace hetsgd
