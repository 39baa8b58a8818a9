// bench_bodies: prints realistic request bodies (bench::Traffic), one JSON
// document a line, for the wrk scripts in bench/http/.
#include <cstdio>
#include <iostream>

#include <CLI/CLI.hpp>

#include "bench/traffic.h"

int main(int argc, char** argv) {
  CLI::App app{"bench_bodies: realistic bodies for POST /v1/requests or POST /v1/contacts"};
  std::string kind = "submit", catalog_path = "config/catalog.toml";
  uint64_t count = 1000, seed = 1;
  app.add_option("-k,--kind", kind, "submit (POST /v1/requests) or contact (POST /v1/contacts)")
      ->check(CLI::IsMember({"submit", "contact"}))
      ->capture_default_str();
  app.add_option("-n,--count", count, "bodies to print")->capture_default_str();
  app.add_option("-s,--seed", seed, "traffic seed")->capture_default_str();
  app.add_option("--catalog", catalog_path, "service catalog")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  auto catalog = ledger::catalog::Catalog::Load(catalog_path);
  if (!catalog.ok()) {
    std::fprintf(stderr, "bench_bodies: %s\n", catalog.error().message.c_str());
    return 2;
  }
  ledger::bench::Traffic traffic(**catalog, {.seed = seed});
  for (uint64_t i = 0; i < count; ++i)
    std::cout << (kind == "submit" ? traffic.SubmitBody() : traffic.ContactBody("")).dump() << '\n';
  return std::cout.good() ? 0 : 1;
}
