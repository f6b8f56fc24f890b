// A Rust target for spytop's tests: its symbols are mangled by rustc (v0
// with -C symbol-mangling-version=v0, else legacy), and spytop must show
// them as Rust spells them. The main thread spins forever in
// spytop_demo::outer::inner::hot_loop, called through a trait method on
// Vec<u32> and a generic function; prints "ready" once it runs.
// tests/unit/test_demangle.c holds the names Debian's rustc 1.63 gave it:
//   rustc -C symbol-mangling-version=v0 -C opt-level=1 -o rust_demo rust_demo.rs
//   nm rust_demo | grep spytop_demo
#![crate_name = "spytop_demo"]
use std::fmt;
use std::io::Write;

pub struct Shape {
    pub w: u32,
    pub h: u32,
}

impl Shape {
    #[inline(never)]
    pub fn area(&self) -> u32 {
        self.w * self.h
    }
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}x{}", self.w, self.h)
    }
}

pub trait Spin {
    fn spin(&self, rounds: u64) -> u64;
}

impl Spin for Vec<u32> {
    #[inline(never)]
    fn spin(&self, rounds: u64) -> u64 {
        let mut acc = 0;
        for _ in 0..rounds {
            acc ^= generic_sum(self);
        }
        acc
    }
}

pub mod outer {
    pub mod inner {
        #[inline(never)]
        pub fn hot_loop(n: u64) -> u64 {
            let mut acc = 0u64;
            let mut i = 0u64;
            while i < n {
                // A volatile read, so the loop is not folded away.
                acc ^= unsafe { std::ptr::read_volatile(&i) }.wrapping_mul(31);
                i += 1;
            }
            acc
        }
    }
}

#[inline(never)]
pub fn generic_sum<T: Copy + Into<u64>>(items: &[T]) -> u64 {
    let mut total = 0;
    for &x in items {
        total += outer::inner::hot_loop(x.into() * 1000);
    }
    total
}

fn main() {
    let s = Shape { w: 3, h: 4 };
    let v: Vec<u32> = vec![100, 200, 300];
    println!("{} {}", s, s.area());
    println!("ready");
    std::io::stdout().flush().unwrap();
    let mut acc = 0;
    loop {
        acc ^= v.spin(1000);
        if acc == 1 {
            println!("{}", acc);
        }
    }
}
