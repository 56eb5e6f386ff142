/**
 * A YCSB binding for raftkv: {@link raftkv.ycsb.RaftkvClient}, run by YCSB's own {@code
 * site.ycsb.Client} ({@code bin/raftkv-ycsb}). See docs/ycsb.md.
 */
package raftkv.ycsb;
