/*
 * fpmath: a dynamically linked glibc program that exercises double and single precision the way ordinary
 * software does (libm, printf/strtod, fenv rounding modes and exception flags, conversions to integers) and
 * prints every result exactly: "%.17g" (or "%.9g" for floats) and the raw bits. Its output depends only on the
 * F/D instructions being exact (glibc's own code does the rest), so QEMU and hindsight must print the same lines.
 *
 * Inputs are volatile so that gcc cannot fold the arithmetic at compile time: the guest's FPU computes it.
 */
#include <fenv.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static volatile double one = 1.0, two = 2.0, three = 3.0, tenth = 0.1, big = 1e308, tiny = 1e-310, zero = 0.0;
static volatile float onef = 1.0f, threef = 3.0f;

static uint64_t bits(double d) { uint64_t u; memcpy(&u, &d, sizeof u); return u; }
static uint32_t bitsf(float f) { uint32_t u; memcpy(&u, &f, sizeof u); return u; }

static void show(const char *name, double d) { printf("fpmath: %-14s %.17g %016llx\n", name, d, (unsigned long long)bits(d)); }
static void showf(const char *name, float f) { printf("fpmath: %-14s %.9g %08x\n", name, (double)f, bitsf(f)); }

/* The flags an operation raised, in the order of the fflags bits (NV DZ OF UF NX). */
static void flags(const char *name) {
  int e = fetestexcept(FE_ALL_EXCEPT);
  printf("fpmath: flags %-8s %s%s%s%s%s\n", name, e & FE_INVALID ? "NV " : "", e & FE_DIVBYZERO ? "DZ " : "",
         e & FE_OVERFLOW ? "OF " : "", e & FE_UNDERFLOW ? "UF " : "", e & FE_INEXACT ? "NX" : "");
  feclearexcept(FE_ALL_EXCEPT);
}

/* A few steps of a two-body orbit (leapfrog), the kind of loop n-body codes run. */
static double orbit(int steps) {
  double x = 1.0, y = 0.0, vx = 0.0, vy = one, dt = 0.01 * one;
  for (int i = 0; i < steps; i++) {
    double r = sqrt(x * x + y * y), a = -1.0 / (r * r * r);
    vx += a * x * dt; vy += a * y * dt;
    x += vx * dt; y += vy * dt;
  }
  return x * x + y * y + vx * vy;
}

int main(void) {
  show("1/3", one / three);
  show("0.1+0.2", tenth + 2 * tenth);
  show("sqrt(2)", sqrt(two));
  show("exp(1)", exp(one));
  show("log(10)", log(10 * one));
  show("sin(1)", sin(one));
  show("cos(1e6)", cos(1e6 * one));
  show("atan2(1,3)", atan2(one, three));
  show("pow(2,0.5)", pow(two, 0.5 * one));
  show("pow(10,-300)", pow(10 * one, -300 * one));
  show("cbrt(3)", cbrt(three));
  show("fma", fma(tenth, 10 * one, -one));
  show("strtod", strtod("2.718281828459045235360287", NULL));
  show("orbit(1000)", orbit(1000));
  showf("1f/3f", onef / threef);
  showf("sqrtf(3)", sqrtf(threef));
  showf("expf(1)", expf(onef));
  showf("(float)0.1", (float)tenth);

  /* The dynamic rounding mode (frm) steers the same division four ways. */
  static const struct { int mode; const char *name; } modes[] = {
    { FE_TONEAREST, "rne" }, { FE_TOWARDZERO, "rtz" }, { FE_DOWNWARD, "rdn" }, { FE_UPWARD, "rup" },
  };
  for (unsigned i = 0; i < sizeof modes / sizeof modes[0]; i++) {
    char label[16];
    fesetround(modes[i].mode);
    snprintf(label, sizeof label, "1/3@%s", modes[i].name);
    show(label, one / three);
    printf("fpmath: lrint(2.5)@%s %ld\n", modes[i].name, lrint(2.5 * one));
  }
  fesetround(FE_TONEAREST);

  /* Exception flags (fflags), each raised by one operation. */
  feclearexcept(FE_ALL_EXCEPT);
  volatile double r = one / three; flags("inexact");
  r = one / zero; flags("div0");
  r = zero / zero; flags("invalid");
  r = big * 10; flags("overflow");
  r = tiny / 1e10; flags("under");
  r = two * three; flags("exact");
  (void)r;

  /* Special values and conversions, saturating as RISC-V's fcvt does. */
  show("-0*1", -zero * one);
  volatile double inf = big * 10;
  show("inf-inf", inf - inf);
  /* gcc fuses this into fmsub.d (contraction is on by default): the exact product 1e309, minus inf, is -inf. */
  show("1e308*10-inf", big * 10 - inf);
  /* A signalling NaN with a payload: arithmetic gives the canonical NaN (and NV), a move keeps the bits. */
  uint64_t snan_bits = 0x7ff4000000000001ull;
  volatile double snan;
  memcpy((void *)&snan, &snan_bits, sizeof snan_bits);
  feclearexcept(FE_ALL_EXCEPT);
  show("snan+1", snan + one); flags("snan+1");
  showf("(float)snan", (float)snan); flags("narrow");
  show("copysign", copysign(snan, -one));
  show("fmin(-0,0)", fmin(-zero, zero));
  show("tiny*tiny", tiny * tiny);
  printf("fpmath: llround(-2.5) %lld lround(1e300) %ld\n", llround(-2.5 * one), lround(big));
  printf("fpmath: isnan %d isinf %d fpclassify(tiny) %d\n", isnan(zero / zero), isinf(one / zero), fpclassify(tiny));
  printf("fpmath: done\n");
  return 0;
}
