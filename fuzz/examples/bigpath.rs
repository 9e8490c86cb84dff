// Measures the worker's Retainers answer for the tail of the million-deep list.
use dumpscope::web::protocol::*;
use dumpscope::web::session::{self, Session, SliceSource};
fn main() {
    let path = std::env::args().nth(1).unwrap();
    let addr = u64::from_str_radix(
        std::env::args().nth(2).unwrap().trim_start_matches("0x"),
        16,
    )
    .unwrap();
    let data = std::fs::read(path).unwrap();
    let src = SliceSource(&data);
    let (a, _, _) = session::load(&src, &|| 0.0, &mut |_| {}).unwrap();
    let mut s = Session::new("x".into(), a);
    let t = std::time::Instant::now();
    let r = s.handle(
        &Request::Retainers {
            addr,
            max_paths: 10,
            excluded: vec![],
        },
        &src,
    );
    let json = format!("{r:?}");
    println!("{} bytes of Debug text in {:?}", json.len(), t.elapsed());
}
