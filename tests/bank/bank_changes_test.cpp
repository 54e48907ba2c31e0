// Bank::apply_changes: removals, additions and a checkpoint in one transaction, all or
// none — what makes a vhm fetch page either wholly applied with its checkpoint or not
// at all, even when the process is killed inside it.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "bank/bank.h"
#include "bank/bank_test_util.h"

namespace vhm {
namespace {

using test::open_ok;
using test::TempBankDir;

NewContent video(const std::string& id, std::mt19937_64& rng, size_t frames = 3) {
  NewContent c;
  c.meta.external_id = id;
  c.meta.label = "case " + id;
  c.meta.kind = ContentKind::kVideo;
  c.frames = test::random_frames(frames, rng);
  return c;
}

int64_t live_count(Bank& bank) {
  auto st = bank.stats();
  EXPECT_TRUE(st.is_ok());
  return st ? st->contents_live : -1;
}

TEST(BankChanges, RemovalsAdditionsAndTheCheckpointCommitTogether) {
  TempBankDir dir;
  ASSERT_TRUE(Bank::create(dir.bank()).is_ok());
  std::mt19937_64 rng(5);
  auto bank = open_ok(dir.bank());
  const NewContent a = video("a", rng), b = video("b", rng);
  ASSERT_TRUE(bank->add_contents(std::vector<NewContent>{a, b}).is_ok());
  const int64_t before = bank->stats()->generation;

  // "a" replaced by a changed version (its id taken over in the same commit), "b"
  // withdrawn, "c" new, and the feed's place stored with them.
  BankChanges changes;
  changes.remove_external_ids = {"a", "b", "never-held"};
  changes.remove_reason = "withdrawn by test";
  const NewContent a2 = video("a", rng), c = video("c", rng);
  changes.add = {a2, c};
  changes.checkpoint_name = "fetch:test";
  changes.checkpoint_value = R"({"page":2})";
  auto applied = bank->apply_changes(changes);
  ASSERT_TRUE(applied.is_ok()) << applied.status().to_string();
  EXPECT_EQ(applied->removed, 2);
  EXPECT_EQ(applied->added.size(), 2u);
  EXPECT_EQ(bank->stats()->generation, before + 1);  // one commit

  // Another open sees all of it.
  auto other = open_ok(dir.bank());
  EXPECT_EQ(live_count(*other), 2);
  EXPECT_EQ(*other->checkpoint("fetch:test").value(), R"({"page":2})");
  EXPECT_FALSE(other->checkpoint("fetch:else").value().has_value());
  auto removed = other->content(ContentRef::by_id(2));  // "b"
  ASSERT_TRUE(removed.is_ok());
  EXPECT_TRUE(removed->removed());
  EXPECT_EQ(removed->removed_reason, "withdrawn by test");
  auto hits = other->lookup(std::vector<Hash256>{a.frames[0].hash, a2.frames[0].hash, b.frames[0].hash}, 0);
  ASSERT_TRUE(hits.is_ok());
  ASSERT_EQ(hits->size(), 1u);  // only the new "a"
  EXPECT_EQ((*hits)[0].query, 1u);

  // A checkpoint alone moves no generation: nothing searchable changed.
  BankChanges only_place;
  only_place.checkpoint_name = "fetch:test";
  only_place.checkpoint_value = R"({"page":3})";
  ASSERT_TRUE(bank->apply_changes(only_place).is_ok());
  EXPECT_EQ(bank->stats()->generation, before + 1);
  EXPECT_EQ(*bank->checkpoint("fetch:test").value(), R"({"page":3})");
}

TEST(BankChanges, ARefusedAdditionLeavesEverythingAsItWas) {
  TempBankDir dir;
  ASSERT_TRUE(Bank::create(dir.bank()).is_ok());
  std::mt19937_64 rng(6);
  auto bank = open_ok(dir.bank());
  ASSERT_TRUE(bank->add_contents(std::vector<NewContent>{video("a", rng), video("b", rng)}).is_ok());
  const int64_t generation = bank->stats()->generation;
  BankChanges changes;
  changes.remove_external_ids = {"a"};
  changes.add = {video("b", rng)};  // "b" is live and not removed: refused
  changes.checkpoint_name = "fetch:test";
  changes.checkpoint_value = "{}";
  auto applied = bank->apply_changes(changes);
  ASSERT_TRUE(applied.is_ok()) << applied.status().to_string();
  EXPECT_EQ(applied->outcome, ChangesOutcome::kDuplicateExternalId);
  EXPECT_EQ(applied->refused, 0u);
  EXPECT_EQ(applied->existing_content_id, 2);
  EXPECT_EQ(live_count(*bank), 2);  // "a" not removed either
  EXPECT_EQ(bank->stats()->generation, generation);
  EXPECT_FALSE(bank->checkpoint("fetch:test").value().has_value());
}

TEST(BankChanges, AnExpectedCheckpointThatMovedWritesNothing) {
  TempBankDir dir;
  ASSERT_TRUE(Bank::create(dir.bank()).is_ok());
  std::mt19937_64 rng(8);
  auto bank = open_ok(dir.bank());
  BankChanges first;
  first.add = {video("a", rng)};
  first.checkpoint_name = "fetch:test";
  first.checkpoint_value = "page-1";
  first.expected_checkpoint = std::optional<std::string>();  // none stored yet
  auto one = bank->apply_changes(first);
  ASSERT_TRUE(one.is_ok()) << one.status().to_string();
  EXPECT_EQ(one->outcome, ChangesOutcome::kCommitted);
  // A second run that read no checkpoint either, as if it had started alongside.
  BankChanges late = first;
  late.add = {video("b", rng)};
  auto two = bank->apply_changes(late);
  ASSERT_TRUE(two.is_ok()) << two.status().to_string();
  EXPECT_EQ(two->outcome, ChangesOutcome::kCheckpointMoved);
  EXPECT_EQ(live_count(*bank), 1);
  EXPECT_EQ(*bank->checkpoint("fetch:test").value(), "page-1");
  late.expected_checkpoint = std::optional<std::string>("page-1");
  late.checkpoint_value = "page-2";
  auto three = bank->apply_changes(late);
  ASSERT_TRUE(three.is_ok());
  EXPECT_EQ(three->outcome, ChangesOutcome::kCommitted);
  EXPECT_EQ(live_count(*bank), 2);
}

TEST(BankChanges, AKillInsideTheTransactionLeavesTheLastCommit) {
  TempBankDir dir;
  ASSERT_TRUE(Bank::create(dir.bank()).is_ok());
  std::mt19937_64 rng(7);
  {
    auto bank = open_ok(dir.bank());
    BankChanges first;
    first.add = {video("a", rng)};
    first.checkpoint_name = "fetch:test";
    first.checkpoint_value = "page-1";
    ASSERT_TRUE(bank->apply_changes(first).is_ok());
  }
  int pipe_fd[2];
  ASSERT_EQ(::pipe(pipe_fd), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(pipe_fd[0]);
    BankOptions options = test::quiet_options();
    options.load_index = false;
    // Called inside the transaction, after the removal and a content's rows.
    options.add_progress = [&](int64_t) {
      const char byte = 'x';
      (void)!::write(pipe_fd[1], &byte, 1);
      ::pause();  // killed here
    };
    auto bank = Bank::open(dir.bank(), options);
    if (!bank) ::_exit(10);
    BankChanges second;
    second.remove_external_ids = {"a"};
    second.add = {video("b", rng, 50)};
    second.checkpoint_name = "fetch:test";
    second.checkpoint_value = "page-2";
    (void)(*bank)->apply_changes(second);
    ::_exit(11);
  }
  ::close(pipe_fd[1]);
  char byte = 0;
  ASSERT_EQ(::read(pipe_fd[0], &byte, 1), 1) << "the child never got inside its changes";
  ASSERT_EQ(::kill(child, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ::close(pipe_fd[0]);
  auto bank = open_ok(dir.bank());
  EXPECT_EQ(*bank->checkpoint("fetch:test").value(), "page-1");
  EXPECT_EQ(live_count(*bank), 1);
  auto a = bank->content(ContentRef::by_external_id("a"));
  ASSERT_TRUE(a.is_ok());
  EXPECT_FALSE(a->removed());
  EXPECT_EQ(bank->content(ContentRef::by_external_id("b")).status().code(), StatusCode::kNotFound);
  auto report = bank->verify();
  ASSERT_TRUE(report.is_ok());
  EXPECT_TRUE(report->ok()) << (report->problems.empty() ? "" : report->problems[0]);
}

}  // namespace
}  // namespace vhm
