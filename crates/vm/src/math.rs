//! Complex-number functions as NumPy computes them, where `num-complex` has none or differs.

use num_complex::Complex64;

/// Complex division with Smith's algorithm, as NumPy (no spurious overflow).
pub fn cdiv(a: Complex64, b: Complex64) -> Complex64 {
    let (br, bi) = (b.re, b.im);
    if br.abs() >= bi.abs() {
        if br == 0.0 && bi == 0.0 {
            return Complex64::new(a.re / br.abs(), a.im / br.abs());
        }
        let rat = bi / br;
        let scl = 1.0 / (br + bi * rat);
        Complex64::new((a.re + a.im * rat) * scl, (a.im - a.re * rat) * scl)
    } else {
        let rat = br / bi;
        let scl = 1.0 / (bi + br * rat);
        Complex64::new((a.re * rat + a.im) * scl, (a.im * rat - a.re) * scl)
    }
}

/// `a ** b` for complex numbers; small integer powers by multiplication, as NumPy.
pub fn cpow(a: Complex64, b: Complex64) -> Complex64 {
    if b.im == 0.0 && b.re.fract() == 0.0 && b.re.abs() < 100.0 {
        let n = b.re as i32;
        if n == 0 {
            return Complex64::new(1.0, 0.0);
        }
        let mut acc = Complex64::new(1.0, 0.0);
        let mut base = a;
        let mut e = n.unsigned_abs();
        while e > 0 {
            if e & 1 == 1 {
                acc *= base;
            }
            base *= base;
            e >>= 1;
        }
        return if n < 0 {
            cdiv(Complex64::new(1.0, 0.0), acc)
        } else {
            acc
        };
    }
    if a.re == 0.0 && a.im == 0.0 {
        return Complex64::new(0.0, 0.0);
    }
    a.powc(b)
}

pub fn clog1p(a: Complex64) -> Complex64 {
    (a + 1.0).ln()
}

pub fn cexpm1(a: Complex64) -> Complex64 {
    Complex64::new(
        a.re.exp_m1() * a.im.cos() + (a.im.cos() - 1.0),
        a.re.exp() * a.im.sin(),
    )
}
