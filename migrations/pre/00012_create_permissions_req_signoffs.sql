-- +goose Up
CREATE TABLE IF NOT EXISTS `permissions_req_signoffs` (
  `product` VARCHAR(15) NOT NULL,
  `role` VARCHAR(50) NOT NULL,
  `signoffs_required` INT NOT NULL,
  `data_version` INT NOT NULL,
  PRIMARY KEY (`product`, `role`)
) ENGINE=InnoDB;

-- +goose Down
DROP TABLE IF EXISTS `permissions_req_signoffs`;
