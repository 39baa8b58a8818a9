#include "projections/state_store.h"

#include <gtest/gtest.h>


#include "projections/state_layout.h"
#include "tests/projections/city.h"
#include "tests/projections/store_helpers.h"

namespace ledger::projections {
namespace {

using fixtures::ApplyInBatches;
using fixtures::ChecksumOf;
using fixtures::kDay;
using fixtures::kMinute;
using fixtures::kT0;
using fixtures::OpenStore;
using fixtures::TempDir;
namespace types = events::types;

TEST(StateStore, ApplyingABatchTwiceChangesNothing) {
  TempDir dir;
  auto city = fixtures::BuildCity(40);
  auto all = fixtures::Concat(city.log.Requests(), city.log.Contacts());
  auto store = OpenStore(dir.Sub("state"));
  ApplyInBatches(*store, all, all.size());
  std::string once = ChecksumOf(*store);
  auto positions = store->Positions();
  auto history = store->History(city.ids[0]);
  ApplyInBatches(*store, all, all.size());
  ApplyInBatches(*store, all, 9);
  EXPECT_EQ(ChecksumOf(*store), once);
  EXPECT_EQ(store->Positions(), positions);
  ASSERT_TRUE(history.ok());
  EXPECT_EQ(store->History(city.ids[0])->size(), history->size());
}

TEST(StateStore, RebuildGivesSameChecksumWhateverTheBatchingAndInterleaving) {
  TempDir dir;
  auto city = fixtures::BuildCity(600);
  const auto& requests = city.log.Requests();
  const auto& contacts = city.log.Contacts();
  size_t event_count = requests.size() + contacts.size();

  auto one_batch = OpenStore(dir.Sub("one"));
  ApplyInBatches(*one_batch, fixtures::Concat(requests, contacts), event_count);
  auto small_batches = OpenStore(dir.Sub("small"));
  ApplyInBatches(*small_batches, fixtures::Interleave(requests, contacts, 3, 2), 7);

  auto contacts_first = OpenStore(dir.Sub("contacts-first"));
  ApplyInBatches(*contacts_first, fixtures::Concat(contacts, requests), 500);
  auto one_by_one = OpenStore(dir.Sub("one-by-one"));
  ApplyInBatches(*one_by_one, fixtures::Interleave(requests, contacts, 1, 5), 1);

  std::string expected = ChecksumOf(*one_batch);
  EXPECT_EQ(expected.size(), 64u);
  EXPECT_EQ(ChecksumOf(*small_batches), expected);
  EXPECT_EQ(ChecksumOf(*contacts_first), expected);
  EXPECT_EQ(ChecksumOf(*one_by_one), expected);
  auto empty = OpenStore(dir.Sub("empty"));
  EXPECT_NE(ChecksumOf(*empty), expected);
}

TEST(StateStore, ResumeAfterCrashGivesSameStateAsOnePass) {
  TempDir dir;
  auto city = fixtures::BuildCity(120);
  auto all = fixtures::Interleave(city.log.Requests(), city.log.Contacts(), 4, 1);
  auto one_pass = OpenStore(dir.Sub("one-pass"));
  ApplyInBatches(*one_pass, all, all.size());

  {
    auto first_run = OpenStore(dir.Sub("resumed"));
    ApplyInBatches(*first_run,
                   std::vector<events::StoredEvent>(all.begin(), all.begin() + all.size() / 2), 13);
  }
  auto second_run = OpenStore(dir.Sub("resumed"));
  ApplyInBatches(*second_run, all, 64);  // the whole log again, from offset 0
  EXPECT_EQ(ChecksumOf(*second_run), ChecksumOf(*one_pass));
  EXPECT_EQ(second_run->Positions(), one_pass->Positions());
}

TEST(StateStore, RebuildGivesTheReadWriteStateWhateverTheCacheSize) {
  TempDir dir;
  auto city = fixtures::BuildCity(300);
  auto all = fixtures::Interleave(city.log.Requests(), city.log.Contacts(), 5, 2);
  auto live = OpenStore(dir.Sub("live"));
  ApplyInBatches(*live, all, 64);
  std::string expected = ChecksumOf(*live);

  // A cache of 16 requests: states run ahead of their rows, leave the cache
  // with their rows written, and are read back by later events.
  for (size_t cached : {size_t{16}, kCachedRequests}) {
    std::string path = dir.Sub("rebuild-" + std::to_string(cached));
    auto rebuilt = StateStore::Open(path, OpenMode::kRebuild, ledger::testing::ShippedCatalog(), cached);
    ASSERT_TRUE(rebuilt.ok()) << rebuilt.error().message;
    ApplyInBatches(**rebuilt, all, 37);
    auto view = (*rebuilt)->GetRequest(city.ids[0]);
    ASSERT_TRUE(view.ok() && view->has_value());
    EXPECT_EQ((*view)->state.status, "closed") << "a read sees the last batch's state";
    EXPECT_EQ(ChecksumOf(**rebuilt), expected) << cached << " cached requests";
    EXPECT_EQ((*rebuilt)->Positions(), live->Positions());
  }
}

TEST(StateStore, RebuildClosedWithoutAReadStillWritesEveryRequest) {
  TempDir dir;
  auto city = fixtures::BuildCity(120);
  auto all = fixtures::Concat(city.log.Requests(), city.log.Contacts());
  auto live = OpenStore(dir.Sub("live"));
  ApplyInBatches(*live, all, 50);
  {
    auto rebuilt = OpenStore(dir.Sub("rebuilt"), OpenMode::kRebuild);
    ApplyInBatches(*rebuilt, all, 50);
  }
  auto reopened = OpenStore(dir.Sub("rebuilt"));
  EXPECT_EQ(ChecksumOf(*reopened), ChecksumOf(*live));
  auto page = reopened->ListRequests(RequestQuery{.limit = 500});
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->requests.size(), city.ids.size());
}

TEST(StateStore, ASmallCacheOutsideARebuildGivesTheSameState) {
  TempDir dir;
  auto city = fixtures::BuildCity(200);
  auto all = fixtures::Interleave(city.log.Requests(), city.log.Contacts(), 3, 1);
  auto roomy = OpenStore(dir.Sub("roomy"));
  ApplyInBatches(*roomy, all, 25);
  auto small = StateStore::Open(dir.Sub("small"), OpenMode::kReadWrite, ledger::testing::ShippedCatalog(), 8);
  ASSERT_TRUE(small.ok());
  ApplyInBatches(**small, all, 25);
  EXPECT_EQ(ChecksumOf(**small), ChecksumOf(*roomy));
}

TEST(StateStore, PositionsPersistPerTopicPartitionIncludingIgnoredTopics) {
  TempDir dir;
  fixtures::TestLog log;
  log.Request("SR-1", types::kRequestSubmitted, fixtures::SubmittedData("tree", "DPW", kT0 + kDay),
              kT0);
  log.Request("SR-1", types::kRequestAssigned, {{"department", "DPW"}, {"assignee", "a"}}, kT0 + 1);
  log.Contact("CT-1", fixtures::ContactData("SR-1"), kT0);
  auto copy = log.Append("311.dept.DPW", "SR-1", types::kRequestSubmitted, Json::object(), kT0);
  auto all = fixtures::Concat(log.Requests(), log.Contacts());
  all.push_back(copy);
  {
    auto store = OpenStore(dir.Sub("state"));
    ApplyInBatches(*store, all, all.size());
  }
  auto store = OpenStore(dir.Sub("state"));
  std::map<events::TopicPartition, uint64_t> expected = {
      {{"311.requests", 0}, 2}, {{"311.contacts", 0}, 1}, {{"311.dept.DPW", 0}, 1}};
  EXPECT_EQ(store->Positions(), expected);
  auto view = store->GetRequest("SR-1");
  ASSERT_TRUE(view.ok() && view->has_value());
  EXPECT_EQ((*view)->state.version, 2u) << "the department copy is not applied twice";
}

TEST(StateStore, EventsForUnknownRequestsAreQuarantinedNotApplied) {
  TempDir dir;
  fixtures::TestLog log;
  log.Request("SR-GHOST", types::kRequestAssigned, {{"department", "DOT"}, {"assignee", "x"}}, kT0);
  auto store = OpenStore(dir.Sub("state"));
  std::string empty = ChecksumOf(*store);
  ApplyInBatches(*store, log.Requests(), 10);
  auto view = store->GetRequest("SR-GHOST");
  ASSERT_TRUE(view.ok());
  EXPECT_FALSE(view->has_value());
  EXPECT_TRUE(store->History("SR-GHOST")->empty());
  EXPECT_NE(ChecksumOf(*store), empty) << "the quarantine is part of the state";
  EXPECT_EQ(store->Positions().at({"311.requests", 0}), 1u);
  auto quarantine = store->Quarantined(10);
  ASSERT_TRUE(quarantine.ok());
  ASSERT_EQ(quarantine->count, 1u);
  EXPECT_EQ(quarantine->first[0].subject, "SR-GHOST");
  EXPECT_EQ(quarantine->first[0].offset, 0u);
  EXPECT_NE(quarantine->first[0].reason.find("never submitted"), std::string::npos);
}

TEST(StateStore, GetRequestShowsStateContactsAndDuplicates) {
  TempDir dir;
  fixtures::TestLog log;
  log.Contact("CT-A", fixtures::ContactData("SR-MAIN"), kT0 - 1000);
  log.Request("SR-MAIN", types::kRequestSubmitted,
              fixtures::SubmittedData("water-main", "DEP", kT0 + kDay, "CT-A"), kT0, "phone");
  log.Request("SR-DUP1", types::kRequestSubmitted,
              fixtures::SubmittedData("water-main", "DEP", kT0 + kDay), kT0 + 1);
  log.Request("SR-DUP2", types::kRequestSubmitted,
              fixtures::SubmittedData("water-main", "DEP", kT0 + kDay), kT0 + 2);
  log.Request("SR-DUP1", types::kRequestDuplicateMarked, {{"parent_id", "SR-MAIN"}}, kT0 + 3);
  log.Request("SR-DUP2", types::kRequestDuplicateMarked, {{"parent_id", "SR-MAIN"}}, kT0 + 4);
  log.Contact("CT-B", fixtures::ContactData("SR-MAIN"), kT0 + 5);
  log.Contact("CT-C", fixtures::ContactData(""), kT0 + 6);
  auto store = OpenStore(dir.Sub("state"));
  ApplyInBatches(*store, fixtures::Concat(log.Contacts(), log.Requests()), 3);

  auto view = store->GetRequest("SR-MAIN");
  ASSERT_TRUE(view.ok());
  ASSERT_TRUE(view->has_value());
  EXPECT_EQ((*view)->state.service_code, "water-main");
  EXPECT_EQ((*view)->state.status, "open");
  EXPECT_EQ((*view)->contacts, (std::vector<std::string>{"CT-A", "CT-B"}));
  EXPECT_EQ((*view)->duplicates, (std::vector<std::string>{"SR-DUP1", "SR-DUP2"}));
  auto dup = store->GetRequest("SR-DUP1");
  ASSERT_TRUE(dup.ok() && dup->has_value());
  EXPECT_EQ((*dup)->state.parent, "SR-MAIN");
  EXPECT_TRUE((*dup)->contacts.empty());
  auto missing = store->GetRequest("SR-NONE");
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
}

TEST(StateStore, HistoryReturnsTheStreamInSequenceOrderAcrossBatches) {
  TempDir dir;
  fixtures::TestLog log;
  log.Request("SR-1", types::kRequestSubmitted, fixtures::SubmittedData("tree", "DPW", kT0 + kDay),
              kT0);
  log.Request("SR-10", types::kRequestSubmitted,
              fixtures::SubmittedData("tree", "DPW", kT0 + kDay), kT0);
  for (int i = 1; i <= 300; ++i)  // sequences past 255 check the big-endian key order
    log.Request("SR-1", types::kRequestNoteAdded, {{"visibility", "internal"}, {"text", "n"}},
                kT0 + i);
  log.Request("SR-10", types::kRequestClosed, Json::object(), kT0 + 400);
  auto store = OpenStore(dir.Sub("state"));
  ApplyInBatches(*store, log.Requests(), 17);

  auto history = store->History("SR-1");
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(history->size(), 301u);
  std::string prevhash;
  for (size_t i = 0; i < history->size(); ++i) {
    const auto& event = (*history)[i];
    EXPECT_EQ(event.subject, "SR-1");
    EXPECT_EQ(event.sequence, i + 1);
    EXPECT_TRUE(events::VerifyLink(event, prevhash)) << "stored events keep their hash chain";
    prevhash = event.hash;
  }
  EXPECT_EQ(store->History("SR-10")->size(), 2u) << "SR-1's prefix does not catch SR-10";
  EXPECT_EQ(store->GetRequest("SR-1")->value().state.notes, 300);
}

TEST(StateStore, ReadOnlyStoreBesideAWriterSeesNewWritesAfterRefresh) {
  TempDir dir;
  fixtures::TestLog log;
  log.Request("SR-1", types::kRequestSubmitted, fixtures::SubmittedData("tree", "DPW", kT0 + kDay),
              kT0);
  auto writer = OpenStore(dir.Sub("state"));
  ApplyInBatches(*writer, log.Requests(), 10);

  auto reader = OpenStore(dir.Sub("state"), OpenMode::kReadOnly);
  ASSERT_NE(reader, nullptr);
  EXPECT_TRUE(reader->GetRequest("SR-1")->has_value());
  auto refused = reader->ApplyBatch(log.Requests());
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, base::ErrorCode::kUnavailable);

  log.Request("SR-1", types::kRequestClosed, Json::object(), kT0 + kMinute);
  log.Request("SR-2", types::kRequestSubmitted, fixtures::SubmittedData("tree", "DPW", kT0 + kDay),
              kT0 + kMinute);
  ApplyInBatches(*writer, log.Requests(), 10);
  EXPECT_FALSE(reader->GetRequest("SR-2")->has_value()) << "not caught up yet";

  ASSERT_TRUE(reader->Refresh().ok());
  EXPECT_TRUE(reader->GetRequest("SR-2")->has_value());
  EXPECT_EQ(reader->GetRequest("SR-1")->value().state.status, "closed");
  EXPECT_EQ(reader->Positions(), writer->Positions());
  EXPECT_EQ(ChecksumOf(*reader), ChecksumOf(*writer));
}

TEST(StateStore, ReadOnlyOpenOfAMissingDirectoryIsNotFound) {
  TempDir dir;
  auto store = StateStore::Open(dir.Sub("absent"), OpenMode::kReadOnly, nullptr);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().code, base::ErrorCode::kNotFound);
}

// A state directory of another schema version (an older ledger's) is
// refused with the remedy, never read with the wrong key layout.
TEST(StateStore, AnotherSchemaVersionIsRefusedNamingLedgerReplay) {
  TempDir dir;
  std::string path = dir.Sub("state");
  ASSERT_TRUE(StateStore::Open(path, OpenMode::kReadWrite, ledger::testing::ShippedCatalog()).ok());
  fixtures::PutStateMeta(path, layout::kSchemaVersionKey, "1");
  auto refused = StateStore::Open(path, OpenMode::kReadWrite, ledger::testing::ShippedCatalog());
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, base::ErrorCode::kCorruption);
  EXPECT_NE(refused.error().message.find("schema version 1"), std::string::npos) << refused.error().message;
  EXPECT_NE(refused.error().message.find("ledger replay"), std::string::npos) << refused.error().message;
}

}  // namespace
}  // namespace ledger::projections
