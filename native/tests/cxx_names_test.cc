// C++ frame names as GDB 13 shows them (names taken from GDB's `bt` and
// gdb.Frame.name() on the whystop fixture's C++ crash).
#include "stacks/cxx_names.h"

#include <gtest/gtest.h>

namespace cgostack {
namespace {

TEST(CxxNames, TemplateFunctionWithoutParametersOrReturnType) {
  EXPECT_EQ(DwarfFrameName("_ZN6engine5WeighINS_4ItemEEEiRSt6vectorIPT_SaIS4_EE"), "engine::Weigh<engine::Item>");
}

TEST(CxxNames, LambdaKeepsItsParametersAsInGdb) {
  EXPECT_EQ(DwarfFrameName("_ZZN6engine5WeighINS_4ItemEEEiRSt6vectorIPT_SaIS4_EEENKUlPS1_E_clES8_"),
            "engine::Weigh<engine::Item>(std::vector<engine::Item*, std::allocator<engine::Item*> >&)::"
            "{lambda(engine::Item*)#1}::operator()(engine::Item*) const");
}

TEST(CxxNames, CNamesAndAliasesUnchanged) {
  EXPECT_EQ(DwarfFrameName("weigh_items"), "weigh_items");
  EXPECT_EQ(DwarfFrameName("__GI___lll_lock_wait"), "__GI___lll_lock_wait");
  EXPECT_EQ(SymbolFrameName("clone3"), "clone3");
  // Not a valid mangling: kept as it is.
  EXPECT_EQ(DwarfFrameName("_Zgarbage"), "_Zgarbage");
}

TEST(CxxNames, MinimalSymbolsKeepParameters) {
  EXPECT_EQ(SymbolFrameName("_ZN6engine5WeighINS_4ItemEEEiRSt6vectorIPT_SaIS4_EE"),
            "int engine::Weigh<engine::Item>(std::vector<engine::Item*, std::allocator<engine::Item*> >&)");
}

TEST(CxxNames, ParametersQualifiersAndOperators) {
  EXPECT_EQ(WithoutParameters("weigh_items()"), "weigh_items");
  EXPECT_EQ(WithoutParameters("ns::C::get(int) const"), "ns::C::get");
  EXPECT_EQ(WithoutParameters("ns::C::operator()(int) &&"), "ns::C::operator()");
  EXPECT_EQ(WithoutParameters("(anonymous namespace)::f(void (*)(int))"), "(anonymous namespace)::f");
  EXPECT_EQ(WithoutParameters("plain"), "plain");
  EXPECT_EQ(WithoutParameters("broken)"), "broken)");
}

}  // namespace
}  // namespace cgostack
