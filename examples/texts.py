"""The sample cables: short texts written for this project in the style of 1960s cables
(not copies of any archive document), a Vietnamese original and its English translation."""

CABLE_417_VI = """\
TUYỆT MẬT
ĐIỆN SỐ 417
Hà Nội, ngày 2 tháng 11 năm 1968
Gửi: Trung ương Cục

1. Bộ Chính trị đã nhận được báo cáo ngày 28 tháng 10 của các đồng chí về tình hình ở Sài Gòn và các tỉnh miền Đông. Chúng tôi đồng ý với nhận định chung của các đồng chí.

2. Về đấu tranh ngoại giao, từ nay đến cuối năm ta cần giữ vững lập trường đã nêu trong các điện trước. Đoàn đại biểu của ta ở Pa-ri sẽ tiếp tục đòi Mỹ chấm dứt hoàn toàn việc ném bom miền Bắc.
\f
3. Các đồng chí cần chuẩn bị ngay lực lượng và lương thực cho mùa khô, đồng thời đẩy mạnh công tác tuyên truyền trong nhân dân và trong hàng ngũ địch.

4. Đề nghị các đồng chí báo cáo kết quả về Bộ Chính trị trước ngày 15 tháng 11 năm 1968.

Bộ Chính trị
"""

CABLE_417_EN = """\
TOP SECRET
CABLE NO. 417
Hanoi, November 2, 1968
To: COSVN

1. The Politburo has received your report of October 28 on the situation in Saigon and the eastern provinces. We agree with your general assessment.

2. On the diplomatic struggle, from now until the end of the year we must hold firmly to the position set out in our previous cables. Our delegation in Paris will continue to demand that the Americans completely end the bombing of North Vietnam.
\f
3. You must immediately prepare forces and food supplies for the dry season, and at the same time step up propaganda work among the people and within the enemy's ranks.

4. Please report the results to the Politburo before November 15, 1968.

[signed] The Politburo
"""

CABLE_418_VI = """\
MẬT
ĐIỆN SỐ 418
Hà Nội, ngày 5 tháng 11 năm 1968
Gửi: Khu ủy Khu 5

Thường vụ Khu ủy cần tổ chức ngay việc học tập nghị quyết mới cho cán bộ chủ chốt. Trong tháng 12, các đơn vị phải bảo đảm đủ 1.250 tấn gạo dự trữ và giữ vững các căn cứ ở vùng núi.

Thường trực Bộ Chính trị
"""
