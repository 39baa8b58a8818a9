#pragma once
// Opens the log backend the settings name (embedded or Kafka) for each use
// of the ledger: the serving instance, and the offline commands.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "events/event_log.h"
#include "projections/state_store.h"
#include "src/app/projection_runner.h"
#include "src/app/settings.h"
#include "log/kafka/dept_router.h"

namespace ledger::app {

// What a writing Kafka log asks of the serving instance: stream heads from
// the projections, and whether the projections have reached given offsets.
// Both are asked only once appends arrive, and must outlive the log.
struct ServingState {
  std::function<projections::StateStore&()> store;
  std::function<Positions()> projected;  // what the projections have read
};

// The log for the serving instance (read_only false) or for an offline
// command. On Kafka, `catalog` names the department topics to create, and
// `only_topics` (if not empty) limits a read-only log to the topics it names.
base::Result<std::unique_ptr<events::EventLog>> OpenLog(const Settings& settings, bool read_only,
                                                          const catalog::Catalog* catalog,
                                                          const ServingState& serving = {},
                                                          const std::vector<std::string>& only_topics = {});

// The department router for a Kafka ledger (nullptr on the embedded log,
// which writes department copies itself).
std::unique_ptr<log::DepartmentRouter> StartDepartmentRouter(const Settings& settings);

}  // namespace ledger::app
