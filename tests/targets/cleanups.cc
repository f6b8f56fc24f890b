// A C++ target whose frames have cleanups (a std::string and a
// std::vector to destroy if an exception passes): their CIEs name a
// personality routine (augmentation "zPLR") through a slot in the
// program's writable data. Prints "ready", then spins in
// spin_leaf <- with_cleanups <- through_a_lambda <- main, forever.
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

static volatile unsigned long sink;

__attribute__((noinline)) static void spin_leaf()
{
    for (unsigned long i = 0; i < 50000000; i++)
        sink += i;
}

__attribute__((noinline)) static void with_cleanups(const char *name)
{
    std::string label(name);
    label += " - long enough not to fit in the string itself";
    std::vector<int> values(64, 1);
    spin_leaf();
    sink += label.size() + values.size();
}

__attribute__((noinline)) static void through_a_lambda(const std::function<void()> &f)
{
    std::string guard("kept until the call returns, with its cleanup");
    f();
    sink += guard.size();
}

int main()
{
    std::puts("ready");
    std::fflush(stdout);
    for (;;)
        through_a_lambda([] { with_cleanups("cleanups"); });
}
